"""A tiny line-plot writer for bench/: a raster canvas, a 5x7 bitmap font
and a PNG encoder, with nothing but zlib and struct (no matplotlib here).

    plot = LinePlot("Wall time", "servers (N)", "seconds")
    plot.add("blocking", [(1, 1.0), (2, 2.0)], (200, 40, 40))
    plot.save("wall.png")
"""

import math
import struct
import zlib

# 5x7 glyphs, one hex byte per row, bit 4 is the leftmost pixel. Lower-case
# letters are drawn as capitals (except x, which reads as "times").
GLYPHS = {
    "0": "0E11131519110E", "1": "040C040404040E", "2": "0E11010204081F",
    "3": "1F02040201110E", "4": "02060A121F0202", "5": "1F101E0101110E",
    "6": "0608101E11110E", "7": "1F010204080808", "8": "0E11110E11110E",
    "9": "0E11110F01020C", "A": "0E1111111F1111", "B": "1E11111E11111E",
    "C": "0E11101010110E", "D": "1C12111111121C", "E": "1F10101E10101F",
    "F": "1F10101E101010", "G": "0E11101711110F", "H": "1111111F111111",
    "I": "0E04040404040E", "J": "0702020202120C", "K": "11121418141211",
    "L": "1010101010101F", "M": "111B1515111111", "N": "11111915131111",
    "O": "0E11111111110E", "P": "1E11111E101010", "Q": "0E11111115120D",
    "R": "1E11111E141211", "S": "0F10100E01011E", "T": "1F040404040404",
    "U": "1111111111110E", "V": "11111111110A04", "W": "1111111515150A",
    "X": "11110A040A1111", "Y": "1111110A040404", "Z": "1F01020408101F",
    "x": "0000110A040A11", " ": "00000000000000", ".": "00000000000C0C",
    ",": "000000000C0408", "-": "0000001F000000", "(": "02040808080402",
    ")": "08040202020408", "/": "00010204081000", ":": "000C0C000C0C00",
    "=": "00001F001F0000", "+": "0004041F040400", "%": "18190204081303",
    "_": "0000000000001F", "'": "0C040800000000", "?": "0E110102040004",
    "<": "02040810080402", ">": "08040201020408", "*": "0004150E150400",
    "#": "0A0A1F0A1F0A0A", "@": "0E11010D15150E",
}
GLYPHS = {k: bytes.fromhex(v.replace(" ", "")) for k, v in GLYPHS.items()}

WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
GREY = (200, 200, 200)


class Canvas:
    """An RGB raster with the few drawing operations a line plot needs."""

    def __init__(self, width, height, background=WHITE):
        self.width = width
        self.height = height
        self.pixels = bytearray(bytes(background) * (width * height))

    def set(self, x, y, color):
        x, y = int(x), int(y)
        if 0 <= x < self.width and 0 <= y < self.height:
            i = 3 * (y * self.width + x)
            self.pixels[i:i + 3] = bytes(color)

    def get(self, x, y):
        i = 3 * (y * self.width + x)
        return tuple(self.pixels[i:i + 3])

    def rect(self, x0, y0, x1, y1, color):
        """Fill the rectangle with corners (x0, y0) and (x1, y1), inclusive."""
        for y in range(int(min(y0, y1)), int(max(y0, y1)) + 1):
            for x in range(int(min(x0, x1)), int(max(x0, x1)) + 1):
                self.set(x, y, color)

    def line(self, x0, y0, x1, y1, color, width=1, dash=0):
        """A straight line (Bresenham), `width` pixels thick; dash > 0 draws
        dashes of that many steps."""
        x0, y0, x1, y1 = map(int, map(round, (x0, y0, x1, y1)))
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        err = dx + dy
        half = (width - 1) // 2
        step = 0
        while True:
            if not dash or (step // dash) % 2 == 0:
                for ox in range(-half, width - half):
                    for oy in range(-half, width - half):
                        self.set(x0 + ox, y0 + oy, color)
            step += 1
            if x0 == x1 and y0 == y1:
                return
            e2 = 2 * err
            if e2 >= dy:
                err += dy
                x0 += sx
            if e2 <= dx:
                err += dx
                y0 += sy

    def text(self, x, y, s, color=BLACK, scale=1):
        """Draw s with its top-left corner at (x, y); returns the width."""
        cx = x
        for ch in s:
            glyph = GLYPHS.get(ch) or GLYPHS.get(ch.upper()) or GLYPHS["?"]
            for row, bits in enumerate(glyph):
                for col in range(5):
                    if bits & (0x10 >> col):
                        self.rect(cx + col * scale, y + row * scale,
                                  cx + col * scale + scale - 1,
                                  y + row * scale + scale - 1, color)
            cx += 6 * scale
        return cx - x

    def png(self):
        """The canvas as PNG bytes (8-bit RGB, no interlace)."""
        raw = bytearray()
        stride = 3 * self.width
        for y in range(self.height):
            raw.append(0)  # filter type: none
            raw += self.pixels[y * stride:(y + 1) * stride]

        def chunk(kind, data):
            body = kind + data
            return (struct.pack(">I", len(data)) + body
                    + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF))

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                + chunk(b"IDAT", zlib.compress(bytes(raw), 9))
                + chunk(b"IEND", b""))


def text_width(s, scale=1):
    return 6 * scale * len(s)


def nice_ticks(lo, hi, count=5):
    """Round tick values covering [lo, hi]."""
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.floor(lo / step) * step
    ticks = []
    t = first
    while t <= hi + step * 1e-9:
        ticks.append(round(t, 10))
        t += step
    if ticks[-1] < hi:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def label(v):
    return f"{v:g}"


class LinePlot:
    """Series of (x, y) points drawn as lines with square markers, linear
    axes from zero, a title, axis labels and a legend."""

    def __init__(self, title, xlabel, ylabel, width=720, height=480):
        self.title, self.xlabel, self.ylabel = title, xlabel, ylabel
        self.width, self.height = width, height
        self.series = []
        self.xticks = None

    def add(self, name, points, color, dash=0):
        points = sorted((x, y) for x, y in points if y is not None)
        if points:
            self.series.append((name, points, color, dash))

    def render(self):
        c = Canvas(self.width, self.height)
        left, right, top, bottom = 70, self.width - 20, 40, self.height - 60
        xs = [x for _, pts, _, _ in self.series for x, _ in pts] or [0, 1]
        ys = [y for _, pts, _, _ in self.series for _, y in pts] or [0, 1]
        # xticks may be numbers or (value, label) pairs
        xt = [t if isinstance(t, tuple) else (t, label(t))
              for t in (self.xticks or nice_ticks(0, max(xs)))]
        yt = nice_ticks(0, max(ys) * 1.05)
        x0, x1, y0, y1 = min(0, xt[0][0]), max(v for v, _ in xt), 0, yt[-1]
        if self.xticks and isinstance(self.xticks[0], tuple):
            # categories: half a step of room at both ends
            x0, x1 = xt[0][0] - 0.5, xt[-1][0] + 0.5

        def px(x):
            return left + (x - x0) / (x1 - x0) * (right - left)

        def py(y):
            return bottom - (y - y0) / (y1 - y0) * (bottom - top)

        # grid, ticks and tick labels
        for t in yt:
            c.line(left, py(t), right, py(t), GREY)
            s = label(t)
            c.text(left - 8 - text_width(s), py(t) - 3, s)
        for t, s in xt:
            c.line(px(t), bottom, px(t), bottom + 4, BLACK)
            c.text(px(t) - text_width(s) / 2, bottom + 8, s)
        c.line(left, top, left, bottom, BLACK)
        c.line(left, bottom, right, bottom, BLACK)

        # titles
        c.text((self.width - text_width(self.title, 2)) / 2, 10, self.title, scale=2)
        c.text((left + right - text_width(self.xlabel)) / 2, bottom + 24, self.xlabel)
        c.text(8, top - 16, self.ylabel)

        # the data
        for name, pts, color, dash in self.series:
            for (ax, ay), (bx, by) in zip(pts, pts[1:]):
                c.line(px(ax), py(ay), px(bx), py(by), color, width=2, dash=dash)
            for x, y in pts:
                c.rect(px(x) - 3, py(y) - 3, px(x) + 3, py(y) + 3, color)

        # legend, top left inside the plot
        lx, ly = left + 12, top + 8
        wide = max((text_width(n) for n, _, _, _ in self.series), default=0)
        c.rect(lx - 6, ly - 6, lx + 30 + wide + 6, ly + 14 * len(self.series) - 2, WHITE)
        for i, (name, _, color, dash) in enumerate(self.series):
            yy = ly + 14 * i + 3
            c.line(lx, yy, lx + 22, yy, color, width=2, dash=dash)
            c.text(lx + 30, yy - 3, name)
        return c

    def save(self, path):
        data = self.render().png()
        with open(path, "wb") as f:
            f.write(data)
        return data
