/* Imports from two modules; carries a softdep in its own modinfo (which
 * depmod copies to modules.softdep). The 3000 device is mapped here only by
 * modprobe.d, shadowing acme_generic's wildcard in modules.alias. */
#include "fixture_module.h"

MODULE_ALIAS("pci:v00001234d00004000sv*sd*bc*sc*i*");
MODULE_ALIAS("usb:v1234p5678d*dc*dsc*dp*ic*isc*ip*in*");
MODULE_SOFTDEP("pre: acme_lib");
MODULE_LICENSE("GPL");
MODULE_DEPENDS("acme_core,acme_lib");

extern int acme_core_register(void);
extern int acme_core_unregister(void);
extern int acme_lib_crc(void);

int init_module(void) { return acme_core_register() + acme_lib_crc(); }
void cleanup_module(void) { acme_core_unregister(); }
