// libudev, for the tests only: an independent oracle for the /sys walk and the uevent parser.
// The runtime never links it (no static libudev; initramfs and busybox systems have no udev).
#include <libudev.h>
