/* The few vsock definitions the agent needs (the kernel's linux/vm_sockets.h,
 * a stable ABI), spelled out so the agent builds with any libc's headers,
 * musl-gcc's included, with or without kernel headers installed. */
#ifndef BANGER_AGENT_VSOCK_ABI_H
#define BANGER_AGENT_VSOCK_ABI_H

#include <sys/ioctl.h>
#include <sys/socket.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

struct vsock_addr {
  sa_family_t svm_family; /* AF_VSOCK */
  unsigned short svm_reserved1;
  unsigned int svm_port;
  unsigned int svm_cid;
  unsigned char svm_zero[4]; /* the size of struct sockaddr */
};

_Static_assert(sizeof(struct vsock_addr) == 16, "struct sockaddr_vm is 16 bytes");

#define VSOCK_CID_ANY 0xFFFFFFFFu
/* ioctl on /dev/vsock: this machine's CID, VSOCK_CID_ANY if it has no vsock transport. */
#define VSOCK_IOCTL_GET_LOCAL_CID _IO(7, 0xb9)

#endif
