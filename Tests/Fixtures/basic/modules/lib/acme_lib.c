/* Bottom of the dependency chain: exports a symbol, has no alias. */
#include "fixture_module.h"

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("acme helper library");

EXPORT_FUNCTION(acme_lib_crc, { return 42; })
