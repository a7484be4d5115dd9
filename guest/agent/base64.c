#include "base64.h"

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void base64_encode(struct buf *out, const void *data, size_t n) {
  const unsigned char *p = data;
  char q[4];
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)p[i] << 16;
    if (i + 1 < n) v |= (unsigned)p[i + 1] << 8;
    if (i + 2 < n) v |= p[i + 2];
    q[0] = ALPHABET[v >> 18 & 63];
    q[1] = ALPHABET[v >> 12 & 63];
    q[2] = i + 1 < n ? ALPHABET[v >> 6 & 63] : '=';
    q[3] = i + 2 < n ? ALPHABET[v & 63] : '=';
    buf_append(out, q, 4);
  }
}

static int value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

int base64_decode(struct buf *out, const char *s, size_t len) {
  if (len % 4 != 0) return -1;
  size_t start = out->len;
  for (size_t i = 0; i < len; i += 4) {
    int pad = 0;
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
      unsigned char c = (unsigned char)s[i + k];
      int d = value(c);
      /* '=' only in the last two places of the last quad, and nothing but '=' after it. */
      if (c == '=' && i + 4 == len && k >= 2) {
        pad++;
        d = 0;
      } else if (d < 0 || pad > 0) {
        out->len = start;
        return -1;
      }
      v = v << 6 | (unsigned)d;
    }
    char b[3] = {(char)(v >> 16), (char)(v >> 8), (char)v};
    buf_append(out, b, (size_t)(3 - pad));
  }
  return 0;
}
