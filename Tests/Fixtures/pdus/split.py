import sys, struct
for path in sys.argv[1:]:
    d = open(path, "rb").read(); i = 0
    while i + 6 <= len(d):
        t = d[i]; n = struct.unpack(">I", d[i+2:i+6])[0]
        print(path, "type %02x len %d" % (t, n)); print("  ", d[i:i+6+n].hex())
        i += 6 + n
