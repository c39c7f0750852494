// struct ucred needs _GNU_SOURCE; kept out of the header so Swift's view of glibc is unchanged.
#define _GNU_SOURCE
#include <string.h>
#include <sys/socket.h>
#include "CLinux.h"

size_t clinux_netlink_credentials_space(void) {
    return CMSG_SPACE(sizeof(struct ucred));
}

int clinux_netlink_find_credentials(const struct msghdr *msg, uint32_t *uid, int32_t *pid) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)msg); c != NULL;
         c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
            c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
            struct ucred cred;
            memcpy(&cred, CMSG_DATA(c), sizeof cred);
            *uid = cred.uid;
            *pid = cred.pid;
            return 1;
        }
    }
    return 0;
}

void clinux_netlink_put_credentials(struct msghdr *msg, uint32_t uid, uint32_t gid, int32_t pid) {
    struct cmsghdr *c = CMSG_FIRSTHDR(msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_CREDENTIALS;
    c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
    struct ucred cred = { .pid = pid, .uid = uid, .gid = gid };
    memcpy(CMSG_DATA(c), &cred, sizeof cred);
    msg->msg_controllen = CMSG_SPACE(sizeof(struct ucred));
}
