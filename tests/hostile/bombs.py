"""Small files that unpack to a lot, built in a blink: one compressed MiB of zeros, repeated.

After a full flush a deflate stream starts afresh, so the same MiB compresses to the same
1 KB each time and the pieces can simply be repeated. Student code in the hostile tests uses
these functions too (their source is put into its module), so they need only zlib and struct.
"""
import struct
import zlib

BLOCK = 1 << 20


def deflated_zeros(mebibytes: int, head: bytes = b"") -> bytes:
    """Raw deflate data inflating to `head` and then `mebibytes` MiB of zero bytes."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    piece = compressor.compress(bytes(BLOCK)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return start + piece * mebibytes + compressor.flush()


def zip_of_one(name: str, data: bytes, size: int, crc: int = 0) -> bytes:
    """A zip holding one deflated member `name`: raw deflate `data` declaring `size` bytes
    inflated and `crc` (ZIP64 sizes where they do not fit 32 bits)."""
    name = name.encode()
    big = size >= 0xFFFFFFFF or len(data) >= 0xFFFFFFFF
    extra = struct.pack("<HHQQ", 1, 16, size, len(data)) if big else b""
    sizes = (0xFFFFFFFF, 0xFFFFFFFF) if big else (len(data), size)
    version = 45 if big else 20
    local = struct.pack("<4s5H3I2H", b"PK\x03\x04", version, 0, 8, 0, 0x21, crc, *sizes, len(name), len(extra))
    central = struct.pack("<4s6H3I5H2I", b"PK\x01\x02", version, version, 0, 8, 0, 0x21, crc, *sizes,
                          len(name), len(extra), 0, 0, 0, 0, 0)
    head = local + name + extra
    directory = central + name + extra
    end = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, 1, 1, len(directory), len(head) + len(data), 0)
    return head + data + directory + end


def crc_of_zeros(mebibytes: int) -> int:
    """The CRC-32 of `mebibytes` MiB of zero bytes (a real bomb has the right one)."""
    crc, block = 0, bytes(BLOCK)
    for _ in range(mebibytes):
        crc = zlib.crc32(block, crc)
    return crc
