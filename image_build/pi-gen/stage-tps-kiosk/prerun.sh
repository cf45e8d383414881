#!/bin/bash -e
# pi-gen stage: continue from stage2's root filesystem (Raspberry Pi OS Lite, bookworm arm64).
if [ ! -d "${ROOTFS_DIR}" ]; then
	copy_previous
fi
