/* '^' negation (glibc fnmatch accepts it like '!'), plus '?'. */
#include "fixture_module.h"

MODULE_ALIAS("acme:n[^x]y");
MODULE_ALIAS("acme:id?x");
MODULE_LICENSE("GPL");
