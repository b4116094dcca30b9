#!/bin/sh
# Removes native binaries a Linux image of this architecture never loads, keeping the image small:
# node-llama-cpp's prebuilt packages for other platforms (and, for the CPU image, its CUDA/Vulkan
# builds) and onnxruntime-node's binaries for other operating systems and architectures.
# Usage: prune-node-modules.sh NODE_MODULES_DIR cpu|cuda
set -eu
modules="$1"
flavor="$2"
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "prune-node-modules: unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac
keep="linux-$arch"
if [ "$flavor" = cuda ]; then
  keep="$keep linux-$arch-cuda linux-$arch-cuda-ext"
fi
for dir in "$modules"/@node-llama-cpp/*; do
  [ -d "$dir" ] || continue
  case " $keep " in
    *" $(basename "$dir") "*) ;;
    *) rm -rf "$dir" ;;
  esac
done
for dir in "$modules"/onnxruntime-node/bin/napi-v*/*/*; do
  [ -d "$dir" ] || continue
  case "$dir" in
    */linux/"$arch") ;;
    *) rm -rf "$dir" ;;
  esac
done
