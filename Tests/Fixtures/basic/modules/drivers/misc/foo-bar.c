/* '-' outside brackets (normalized to '_' by depmod and by lookups) and
 * inside brackets (a range, kept verbatim); "[+-]" has a literal '-' that a
 * lookup key can never supply, since lookups turn '-' into '_'. */
#include "fixture_module.h"

MODULE_ALIAS("acme:foo-bar*");
MODULE_ALIAS("acme:port[0-3]");
MODULE_ALIAS("acme:sep[+-]");
MODULE_LICENSE("GPL");
