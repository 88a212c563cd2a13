// Placeholder so the package resolves while the daemon branch has not yet committed its tests.
// Delete when Tests/LaunchDaemonTests gets real files.
