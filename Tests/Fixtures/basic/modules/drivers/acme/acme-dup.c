/* File name with '-': module name acme_dup. Duplicates other modules'
 * exact alias keys; listed early in modules.order so it wins priority. */
#include "fixture_module.h"

MODULE_ALIAS("acme:core");
MODULE_ALIAS("pci:v00001234d00001000sv*sd*bc*sc*i*");
MODULE_LICENSE("GPL");
