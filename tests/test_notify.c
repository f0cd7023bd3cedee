/* Tests of the sd_notify protocol over a test-owned NOTIFY_SOCKET. */
#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "accompd/notify.h"
#include "testutil.h"

/* Bind a datagram socket at name ("/path" or "@abstract"), as systemd does. */
static int bind_socket(const char *name)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    size_t len = strlen(name);
    memcpy(sa.sun_path, name, len);
    if (name[0] == '@')
        sa.sun_path[0] = '\0';
    ck_assert_int_eq(
        bind(fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)),
        0);
    return fd;
}

/* The next datagram, NUL-terminated (static buffer); "" if none is waiting. */
static const char *receive(int fd)
{
    static char buf[2048];
    ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
    buf[n < 0 ? 0 : n] = '\0';
    return buf;
}

START_TEST(path_socket)
{
    char dir[] = "/tmp/acd-notify-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/notify", dir);
    int fd = bind_socket(path);
    setenv("NOTIFY_SOCKET", path, 1);
    AcdError err = {0};
    ck_assert_int_eq(acd_notify_ready("playing, model default", &err), ACD_OK);
    ck_assert_str_eq(receive(fd), "READY=1\nSTATUS=playing, model default");
    ck_assert_int_eq(acd_notify_ready(NULL, &err), ACD_OK);
    ck_assert_str_eq(receive(fd), "READY=1");
    ck_assert_int_eq(acd_notify_status(&err, "%d steps\nlate %d", 120, 0), ACD_OK);
    ck_assert_str_eq(receive(fd), "STATUS=120 steps late 0");
    ck_assert_int_eq(acd_notify_reloading(&err), ACD_OK);
    const char *r = receive(fd);
    ck_assert_msg(strncmp(r, "RELOADING=1\nMONOTONIC_USEC=", 27) == 0, "%s", r);
    ck_assert_uint_gt(strtoull(r + 27, NULL, 10), 0);
    ck_assert_int_eq(acd_notify_stopping(&err), ACD_OK);
    ck_assert_str_eq(receive(fd), "STOPPING=1");
    close(fd);
    unlink(path);
    rmdir(dir);
}
END_TEST

START_TEST(abstract_socket)
{
    char name[64];
    snprintf(name, sizeof name, "@accompd-test-notify-%ld", (long)getpid());
    int fd = bind_socket(name);
    setenv("NOTIFY_SOCKET", name, 1);
    AcdError err = {0};
    ck_assert_int_eq(acd_notify("READY=1", &err), ACD_OK);
    ck_assert_str_eq(receive(fd), "READY=1");
    close(fd);
}
END_TEST

START_TEST(not_under_systemd)
{
    unsetenv("NOTIFY_SOCKET");
    ck_assert_int_eq(acd_notify_ready("x", NULL), ACD_OK);
    setenv("NOTIFY_SOCKET", "", 1);
    ck_assert_int_eq(acd_notify_ready("x", NULL), ACD_OK);
}
END_TEST

START_TEST(errors)
{
    AcdError err = {0};
    setenv("NOTIFY_SOCKET", "vsock:2:1234", 1);
    ck_assert_int_eq(acd_notify("READY=1", &err), ACD_ERR_UNSUPPORTED);
    ck_assert_str_eq(err.msg,
                     "NOTIFY_SOCKET=vsock:2:1234: only paths and @abstract sockets are supported");
    setenv("NOTIFY_SOCKET", "/nonexistent/notify", 1);
    ck_assert_int_eq(acd_notify("READY=1", &err), ACD_ERR_IO);
    ck_assert_str_eq(err.msg, "NOTIFY_SOCKET=/nonexistent/notify: No such file or directory");
    char longname[200];
    memset(longname, 'x', sizeof longname - 1);
    longname[0] = '/';
    longname[sizeof longname - 1] = '\0';
    setenv("NOTIFY_SOCKET", longname, 1);
    ck_assert_int_eq(acd_notify("READY=1", &err), ACD_ERR_LIMIT);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("notify");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, path_socket);
    tcase_add_test(tc, abstract_socket);
    tcase_add_test(tc, not_under_systemd);
    tcase_add_test(tc, errors);
    suite_add_tcase(s, tc);
    return acd_test_run(s);
}
