#!/bin/sh
# mmdebstrap --customize-hook: every package is installed; build the one initramfs.
# MODULES=list keeps it small and fast to make: only what mounting the root needs on QEMU's
# virt machine (virtio) and on a Pi 3/4 (SD host controllers), plus ext4, vfat and overlay.
set -eu
root="$1"
rm -f "$root/usr/sbin/update-initramfs"
chroot "$root" dpkg-divert --quiet --local --rename --remove /usr/sbin/update-initramfs
conf="$root/etc/initramfs-tools/initramfs.conf"
sed -i 's/^MODULES=.*/MODULES=list/; s/^COMPRESS=.*/COMPRESS=zstd/' "$conf"
cat >> "$root/etc/initramfs-tools/modules" <<'MODS'
# TPS Kiosk: what mounting the root needs (QEMU virt, Raspberry Pi 3/4)
virtio_blk
virtio_mmio
virtio_pci
mmc_block
sdhci_iproc
bcm2835
bcm2835_dma
ext4
vfat
nls_cp437
nls_ascii
overlay
MODS
chroot "$root" update-initramfs -c -k all
