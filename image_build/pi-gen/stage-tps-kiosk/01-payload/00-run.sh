#!/bin/bash -e
# The same payload as the Debian image (backend A): made on the release machine by
# image_build/pi-gen/build (python -m image_build payload), unpacked here with owners kept.
tar --numeric-owner -xpf files/payload.tar -C "${ROOTFS_DIR}"

on_chroot <<'CHROOT'
python3 -m venv --without-pip --system-site-packages /opt/tps-kiosk
systemd-sysusers
# SSH stays off; the kiosk browser takes tty1.
systemctl disable ssh.service 2>/dev/null || true
systemctl mask systemd-firstboot.service
# overlayroot in the initramfs of every installed Raspberry Pi kernel.
for v in /lib/modules/*; do update-initramfs -c -k "$(basename "$v")" || true; done
CHROOT
