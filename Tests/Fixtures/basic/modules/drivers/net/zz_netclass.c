/* Any-vendor Ethernet class driver. Alphabetically last but first in
 * modules.order, so it leads every lookup it matches. */
#include "fixture_module.h"

MODULE_ALIAS("pci:v*d*sv*sd*bc02sc00i*");
MODULE_LICENSE("GPL");
