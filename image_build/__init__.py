"""How the TPS Kiosk SD-card image is built (backend A: Debian, mmdebstrap + genimage), inspected
and booted in QEMU. Runs on the build machine as root; nothing here is imported by the kiosk."""
