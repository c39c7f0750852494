/* Same module via two patterns (device id and class); imports from
 * acme_core, so modules.dep lists acme_core and acme_lib. */
#include "fixture_module.h"

MODULE_ALIAS("pci:v00001234d00001000sv*sd*bc*sc*i*");
MODULE_ALIAS("pci:v00001234d*sv*sd*bc02sc00i*");
MODULE_LICENSE("GPL");
MODULE_DEPENDS("acme_core");

extern int acme_core_register(void);

int init_module(void) { return acme_core_register(); }
