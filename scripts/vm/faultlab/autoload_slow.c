// SPDX-License-Identifier: GPL-2.0
/*
 * autoload_slow: a PCI driver for qemu's ivshmem (1af4:1110; virtio_pci's 1af4:* alias also
 * matches it, but virtio_pci's probe declines device ids outside 0x1000-0x107f) whose module
 * init takes slow_seconds (default 20) before it registers the driver: the fault lab's slow
 * init. Sleeps TASK_KILLABLE one second at a time, as autoload_hang does.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>

static unsigned int slow_seconds = 20;
module_param(slow_seconds, uint, 0444);
MODULE_PARM_DESC(slow_seconds, "seconds module init takes before registering (default 20)");

static const struct pci_device_id autoload_slow_ids[] = {
	{ PCI_DEVICE(0x1af4, 0x1110) },	/* qemu -device ivshmem-plain / ivshmem-doorbell */
	{ }
};
MODULE_DEVICE_TABLE(pci, autoload_slow_ids);

static int autoload_slow_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	dev_info(&pdev->dev, "autoload_slow: bound\n");
	return 0;
}

static void autoload_slow_remove(struct pci_dev *pdev)
{
}

static struct pci_driver autoload_slow_driver = {
	.name = "autoload_slow",
	.id_table = autoload_slow_ids,
	.probe = autoload_slow_probe,
	.remove = autoload_slow_remove,
};

static int __init autoload_slow_init(void)
{
	unsigned int s;

	pr_info("autoload_slow: init takes %u s\n", slow_seconds);
	for (s = 0; s < slow_seconds; s++) {
		if (fatal_signal_pending(current))
			return -EINTR;
		schedule_timeout_killable(HZ);
	}
	return pci_register_driver(&autoload_slow_driver);
}

static void __exit autoload_slow_exit(void)
{
	pci_unregister_driver(&autoload_slow_driver);
}

module_init(autoload_slow_init);
module_exit(autoload_slow_exit);
MODULE_DESCRIPTION("autoload fault lab: a PCI driver (qemu ivshmem) whose init takes 20 s");
MODULE_LICENSE("GPL");
