#!/bin/sh
# checkbin.sh ARCH FILE: FILE is a static, stripped program for ARCH (build-aux/arch.sh's
# check_output); the Makefile runs it on each rdinit it links.
set -eu
# shellcheck disable=SC2034 # arch.sh's messages
TAG=build
# shellcheck source=build-aux/arch.sh
. "$(dirname "$0")/arch.sh"
target_arch "${1:?usage: checkbin.sh ARCH FILE}"
check_output "${2:?usage: checkbin.sh ARCH FILE}"
