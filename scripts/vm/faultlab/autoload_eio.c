// SPDX-License-Identifier: GPL-2.0
/*
 * autoload_eio: a PCI driver for qemu's pci-testdev (1b36:0005, no in-tree driver) whose
 * module init fails with -EIO: the fault lab's failing init. The device table gives it a
 * real alias, so a loader plans it from the device's MODALIAS.
 */
#include <linux/module.h>
#include <linux/pci.h>

static const struct pci_device_id autoload_eio_ids[] = {
	{ PCI_DEVICE(0x1b36, 0x0005) },	/* qemu -device pci-testdev */
	{ }
};
MODULE_DEVICE_TABLE(pci, autoload_eio_ids);

static int __init autoload_eio_init(void)
{
	pr_info("autoload_eio: init fails with -EIO\n");
	return -EIO;
}

static void __exit autoload_eio_exit(void)
{
}

module_init(autoload_eio_init);
module_exit(autoload_eio_exit);
MODULE_DESCRIPTION("autoload fault lab: a module (qemu pci-testdev) whose init fails with -EIO");
MODULE_LICENSE("GPL");
