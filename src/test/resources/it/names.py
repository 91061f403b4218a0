# Byte names through a streamfs mount: run in the mount point. argv[1]: "create" (make and check every name),
# "check" (after a remount: the same names and bytes are there), "libfuse2" (the jnr-fuse binding).
import errno, os, sys

mode = sys.argv[1]
names = [bytes([v]) + b'X' for v in range(1, 256) if v != ord('/')]
names += [b'a\\b', b'\x80\x81\xff', b'e\xef\x9e\x80f', b'\xc3\xa9t\xc3', b'\xed\xa0\x80', b'\xc0\xaf']
fails = []

def check(cond, what):
    if not cond:
        fails.append(what)

def content(n):
    return b'content of ' + n + b'\n'

if mode == 'create':
    for n in names:
        with open(n, 'wb') as f:
            f.write(content(n))
    listed = set(os.listdir(b'.'))
    check(listed == set(names), 'readdir lists %r, missing %r, extra %r' % (len(listed),
          sorted(set(names) - listed)[:10], sorted(listed - set(names))[:10]))
    for n in names:
        st = os.stat(n)
        check(st.st_size == len(content(n)), 'stat %r size %d' % (n, st.st_size))
        with open(n, 'rb') as f:
            check(f.read() == content(n), 'read %r' % n)
    # rename to another invalid name, then unlink; the two that differ in one invalid byte stay two
    os.rename(b'\x80X', b'\xfe\xfeR')
    check(not os.path.exists(b'\x80X'), 'rename left the source')
    with open(b'\xfe\xfeR', 'rb') as f:
        check(f.read() == content(b'\x80X'), 'renamed bytes')
    os.rename(b'\xfe\xfeR', b'\x80X')
    os.symlink(b'\xff\\t\x01', b'link\x90')
    check(os.readlink(b'link\x90') == b'\xff\\t\x01', 'readlink %r' % os.readlink(b'link\x90'))
    os.mkdir(b'dir\x85')
    with open(b'dir\x85/in\x86', 'wb') as f:
        f.write(b'inner')
    check(os.listdir(b'dir\x85') == [b'in\x86'], 'subdir %r' % os.listdir(b'dir\x85'))
    os.unlink(b'\x01X')
    check(b'\x01X' not in os.listdir(b'.'), 'unlink')
elif mode == 'check':
    expect = set(names) - {b'\x01X'} | {b'link\x90', b'dir\x85'}
    listed = set(os.listdir(b'.'))
    check(listed == expect, 'after remount: missing %r, extra %r' % (sorted(expect - listed)[:10],
          sorted(listed - expect)[:10]))
    for n in names:
        if n != b'\x01X':
            with open(n, 'rb') as f:
                check(f.read() == content(n), 'read %r after remount' % n)
    check(os.readlink(b'link\x90') == b'\xff\\t\x01', 'readlink after remount')
    with open(b'dir\x85/in\x86', 'rb') as f:
        check(f.read() == b'inner', 'subdir file after remount')
elif mode == 'libfuse2':
    ok = [b'a\\b', b'c\x01d', b'\x7f', 'été'.encode()]
    for n in ok:
        with open(n, 'wb') as f:
            f.write(content(n))
    for n in (b'\x80X', b'\x81X'):
        try:
            open(n, 'wb').close()
            fails.append('libfuse2 created %r' % n)
        except OSError as e:
            check(e.errno == errno.EILSEQ, 'libfuse2 %r: %s' % (n, e))
    check(set(os.listdir(b'.')) >= set(ok), 'libfuse2 lists %r' % os.listdir(b'.'))
    for n in ok:
        with open(n, 'rb') as f:
            check(f.read() == content(n), 'libfuse2 read %r' % n)
for f in fails:
    print('FAIL', f)
print('OK' if not fails else 'FAILED %d' % len(fails))
sys.exit(1 if fails else 0)
