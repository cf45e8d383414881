#!/bin/sh
# mmdebstrap --essential-hook: runs once the essential packages are in, before the rest.
# Defer the initramfs: the kernel, busybox, overlayroot and raspi-firmware would each rebuild it
# under qemu-user (minutes per pass); customize.sh builds it once at the end.
set -eu
root="$1"
chroot "$root" dpkg-divert --quiet --local --rename --add /usr/sbin/update-initramfs
cat > "$root/usr/sbin/update-initramfs" <<'STUB'
#!/bin/sh
echo "update-initramfs: deferred to one pass at the end of the image build" >&2
STUB
chmod 755 "$root/usr/sbin/update-initramfs"
