/* Deliberately absent from modules.order: depmod ranks it after every
 * listed module. Keep it the only such module, since the relative order of
 * several unlisted modules depends on directory traversal. */
#include "fixture_module.h"

MODULE_ALIAS("pci:v00001234d00001000sv*sd*bc*sc*i*");
MODULE_LICENSE("GPL");
