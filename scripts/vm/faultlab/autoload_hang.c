// SPDX-License-Identifier: GPL-2.0
/*
 * autoload_hang: a PCI driver for qemu's "edu" device (1234:11e8, no in-tree driver) whose
 * module init blocks for hang_seconds (default 600) before it registers the driver: the
 * fault lab's stuck init ("Fault lab" in scripts/vm/README.md).
 *
 * The wait is in init, not in probe, so it runs in the loading task itself (a probe may run
 * in a kworker through work_on_cpu, where the loader would wait uninterruptibly). It sleeps
 * TASK_KILLABLE one second at a time: ordinary signals do not end it (a stuck init stays
 * stuck), a fatal one does (init returns -EINTR, the module is freed), so a loader that exits
 * or is killed is not kept as an unkillable zombie, and the hung-task detector, which looks
 * at plain TASK_UNINTERRUPTIBLE only, stays quiet (Debian: DETECT_HUNG_TASK=y, timeout 120 s,
 * no BOOTPARAM_HUNG_TASK_PANIC).
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>

static unsigned int hang_seconds = 600;
module_param(hang_seconds, uint, 0444);
MODULE_PARM_DESC(hang_seconds, "seconds module init blocks before registering (default 600)");

static const struct pci_device_id autoload_hang_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },	/* qemu -device edu */
	{ }
};
MODULE_DEVICE_TABLE(pci, autoload_hang_ids);

static int autoload_hang_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	dev_info(&pdev->dev, "autoload_hang: bound\n");
	return 0;
}

static void autoload_hang_remove(struct pci_dev *pdev)
{
}

static struct pci_driver autoload_hang_driver = {
	.name = "autoload_hang",
	.id_table = autoload_hang_ids,
	.probe = autoload_hang_probe,
	.remove = autoload_hang_remove,
};

static int __init autoload_hang_init(void)
{
	unsigned int s;

	pr_info("autoload_hang: init blocks for %u s (pid %d)\n", hang_seconds, task_pid_nr(current));
	for (s = 0; s < hang_seconds; s++) {
		if (fatal_signal_pending(current)) {
			pr_info("autoload_hang: killed after %u s, init fails with -EINTR\n", s);
			return -EINTR;
		}
		schedule_timeout_killable(HZ);
	}
	pr_info("autoload_hang: init done after %u s\n", hang_seconds);
	return pci_register_driver(&autoload_hang_driver);
}

static void __exit autoload_hang_exit(void)
{
	pci_unregister_driver(&autoload_hang_driver);
}

module_init(autoload_hang_init);
module_exit(autoload_hang_exit);
MODULE_DESCRIPTION("autoload fault lab: a PCI driver (qemu edu) whose init hangs");
MODULE_LICENSE("GPL");
