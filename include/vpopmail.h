/* vpopmail.h: vpopmail's per-user flag bits, stored in the pw_gid column. */
#ifndef VAUTH_VPOPMAIL_H
#define VAUTH_VPOPMAIL_H

#define VPW_NO_PASSWD_CHNG 0x0001
#define VPW_NO_POP         0x0002
#define VPW_NO_WEBMAIL     0x0004
#define VPW_NO_IMAP        0x0008
#define VPW_BOUNCE_MAIL    0x0010
#define VPW_NO_RELAY       0x0020
#define VPW_NO_DIALUP      0x0040
#define VPW_NO_SMTP        0x0800

#endif
