// SPDX-License-Identifier: GPL-2.0
/*
 * SipHash-2-4 for the user-space build of the core: the algorithm of
 * lib/siphash.c (Aumasson and Bernstein, "SipHash: a fast short-input
 * PRF", 2012), written out plainly: little-endian words, 2 compression
 * rounds per word, 4 finalisation rounds, the length in the last byte.
 */
#include <linux/siphash.h>

static inline u64 rol64(u64 w, unsigned int s)
{
	return (w << s) | (w >> (64 - s));
}

#define SIPROUND(v0, v1, v2, v3) do {					\
	v0 += v1; v1 = rol64(v1, 13); v1 ^= v0; v0 = rol64(v0, 32);	\
	v2 += v3; v3 = rol64(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = rol64(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = rol64(v1, 17); v1 ^= v2; v2 = rol64(v2, 32);	\
} while (0)

struct sip {
	u64 v0, v1, v2, v3;
};

static void sip_init(struct sip *s, const siphash_key_t *key)
{
	s->v0 = 0x736f6d6570736575ULL ^ key->key[0];
	s->v1 = 0x646f72616e646f6dULL ^ key->key[1];
	s->v2 = 0x6c7967656e657261ULL ^ key->key[0];
	s->v3 = 0x7465646279746573ULL ^ key->key[1];
}

static void sip_word(struct sip *s, u64 m)
{
	s->v3 ^= m;
	SIPROUND(s->v0, s->v1, s->v2, s->v3);
	SIPROUND(s->v0, s->v1, s->v2, s->v3);
	s->v0 ^= m;
}

static u64 sip_final(struct sip *s, u64 b)
{
	sip_word(s, b);
	s->v2 ^= 0xff;
	SIPROUND(s->v0, s->v1, s->v2, s->v3);
	SIPROUND(s->v0, s->v1, s->v2, s->v3);
	SIPROUND(s->v0, s->v1, s->v2, s->v3);
	SIPROUND(s->v0, s->v1, s->v2, s->v3);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

static u64 le64(const u8 *p, size_t n)
{
	u64 m = 0;

	while (n--)
		m |= (u64)p[n] << (8 * n);
	return m;
}

u64 siphash(const void *data, size_t len, const siphash_key_t *key)
{
	const u8 *p = data;
	size_t left = len & 7, i;
	struct sip s;

	sip_init(&s, key);
	for (i = 0; i + 8 <= len; i += 8)
		sip_word(&s, le64(p + i, 8));
	return sip_final(&s, (u64)len << 56 | le64(p + i, left));
}

u64 siphash_1u64(u64 first, const siphash_key_t *key)
{
	struct sip s;

	sip_init(&s, key);
	sip_word(&s, first);
	return sip_final(&s, 8ULL << 56);
}

u64 siphash_1u32(u32 first, const siphash_key_t *key)
{
	struct sip s;

	sip_init(&s, key);
	return sip_final(&s, 4ULL << 56 | first);
}

/* SipHash-2-4 of the bytes 0, 1, .. n-1 under the key 00 01 .. 0f. */
static const u64 sip_vectors[64] = {
	0x726fdb47dd0e0e31ULL, 0x74f839c593dc67fdULL, 0x0d6c8009d9a94f5aULL,
	0x85676696d7fb7e2dULL, 0xcf2794e0277187b7ULL, 0x18765564cd99a68dULL,
	0xcbc9466e58fee3ceULL, 0xab0200f58b01d137ULL, 0x93f5f5799a932462ULL,
	0x9e0082df0ba9e4b0ULL, 0x7a5dbbc594ddb9f3ULL, 0xf4b32f46226bada7ULL,
	0x751e8fbc860ee5fbULL, 0x14ea5627c0843d90ULL, 0xf723ca908e7af2eeULL,
	0xa129ca6149be45e5ULL, 0x3f2acc7f57c29bdbULL, 0x699ae9f52cbe4794ULL,
	0x4bc1b3f0968dd39cULL, 0xbb6dc91da77961bdULL, 0xbed65cf21aa2ee98ULL,
	0xd0f2cbb02e3b67c7ULL, 0x93536795e3a33e88ULL, 0xa80c038ccd5ccec8ULL,
	0xb8ad50c6f649af94ULL, 0xbce192de8a85b8eaULL, 0x17d835b85bbb15f3ULL,
	0x2f2e6163076bcfadULL, 0xde4daaaca71dc9a5ULL, 0xa6a2506687956571ULL,
	0xad87a3535c49ef28ULL, 0x32d892fad841c342ULL, 0x7127512f72f27cceULL,
	0xa7f32346f95978e3ULL, 0x12e0b01abb051238ULL, 0x15e034d40fa197aeULL,
	0x314dffbe0815a3b4ULL, 0x027990f029623981ULL, 0xcadcd4e59ef40c4dULL,
	0x9abfd8766a33735cULL, 0x0e3ea96b5304a7d0ULL, 0xad0c42d6fc585992ULL,
	0x187306c89bc215a9ULL, 0xd4a60abcf3792b95ULL, 0xf935451de4f21df2ULL,
	0xa9538f0419755787ULL, 0xdb9acddff56ca510ULL, 0xd06c98cd5c0975ebULL,
	0xe612a3cb9ecba951ULL, 0xc766e62cfcadaf96ULL, 0xee64435a9752fe72ULL,
	0xa192d576b245165aULL, 0x0a8787bf8ecb74b2ULL, 0x81b3e73d20b49b6fULL,
	0x7fa8220ba3b2eceaULL, 0x245731c13ca42499ULL, 0xb78dbfaf3a8d83bdULL,
	0xea1ad565322a1a0bULL, 0x60e61c23a3795013ULL, 0x6606d7e446282b93ULL,
	0x6ca4ecb15c5f91e1ULL, 0x9f626da15c9625f3ULL, 0xe51b38608ef25f57ULL,
	0x958a324ceb064572ULL
};

int shim_siphash_selftest(void)
{
	const siphash_key_t k = {{ 0x0706050403020100ULL,
				   0x0f0e0d0c0b0a0908ULL }};
	u8 in[64];
	int i;

	for (i = 0; i < 64; i++) {
		in[i] = i;
		if (siphash(in, i, &k) != sip_vectors[i])
			return i + 1;
	}
	/* the word forms hash the same bytes as siphash() */
	if (siphash_1u64(0x0706050403020100ULL, &k) != sip_vectors[8] ||
	    siphash_1u32(0x03020100U, &k) != sip_vectors[4] ||
	    siphash_2u32(0x03020100U, 0x07060504U, &k) != sip_vectors[8])
		return 65;
	return 0;
}
