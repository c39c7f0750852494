/* '?' wildcard in a realistic usb: alias. */
#include "fixture_module.h"

MODULE_ALIAS("usb:v1D6Bp000?d*dc*dsc*dp*ic*isc*ip*in*");
MODULE_LICENSE("GPL");
