/* Bracket classes: a range, and a '!' negated range. "acme:idax" matches
 * both patterns, so the module comes back twice from the index. */
#include "fixture_module.h"

MODULE_ALIAS("acme:id[a-f]*");
MODULE_ALIAS("acme:id[!0-9]x");
MODULE_LICENSE("GPL");
