/* Middle of the chain: imports from acme_lib, exports to the drivers.
 * Its alias "acme:core" is also claimed by acme_dup (same exact key). */
#include "fixture_module.h"

MODULE_ALIAS("acme:core");
MODULE_LICENSE("GPL");
MODULE_DEPENDS("acme_lib");

extern int acme_lib_crc(void);

EXPORT_FUNCTION(acme_core_register, { return acme_lib_crc(); })
EXPORT_FUNCTION(acme_core_unregister, { return 0; })
