/* Catch-all for the vendor: overlaps every other 1234 PCI alias. */
#include "fixture_module.h"

MODULE_ALIAS("pci:v00001234d*sv*sd*bc*sc*i*");
MODULE_LICENSE("GPL");
