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
#define VPW_USER0          0x0080
#define VPW_USER1          0x0100
#define VPW_USER2          0x0200
#define VPW_USER3          0x0400
#define VPW_NO_SMTP        0x0800
#define VPW_QA_ADMIN       0x1000
#define VPW_OVERRIDE       0x2000	/* not subject to domain limits */
#define VPW_NO_SPAMASSASSIN 0x4000
#define VPW_DELETE_SPAM    0x8000
#define VPW_SA_ADMIN       0x10000
#define VPW_SA_EXPERT      0x20000
#define VPW_NO_MAILDROP    0x40000

#endif
