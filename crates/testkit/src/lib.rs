//! Test helpers shared by the workspace's integration tests: real nginx and php-fpm started on
//! free loopback ports in a temp dir, and stopped (with the dir removed) when dropped.
