package main

import (
	"syscall"
	"unsafe"
)

// termSize returns the width in columns of the terminal fd, or 0.
func termSize(fd uintptr) int {
	var ws struct{ row, col, xpixel, ypixel uint16 }
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, uintptr(syscall.TIOCGWINSZ), uintptr(unsafe.Pointer(&ws)))
	if errno != 0 {
		return 0
	}
	return int(ws.col)
}
