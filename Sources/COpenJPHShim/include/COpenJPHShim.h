// A C face for OpenJPH's C++ HTJ2K encoder (ISO/IEC 15444-15), for DicomCore's HTJ2K codec.
#ifndef COPENJPH_SHIM_H
#define COPENJPH_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Encodes one frame to an HTJ2K codestream (J2K, no JP2 wrapper).
/// samples: components interleaved per pixel (colour-by-pixel), already sign-extended for signed data.
/// reversible: 1 for the 5/3 wavelet (lossless), 0 for 9/7 with quantisation step `delta`.
/// colour_transform: 1 to apply RCT/ICT to three components. progression: e.g. "RPCL", "LRCP".
/// On success returns 0 and a malloc'd buffer in *out (free with ojph_shim_free) of *out_size bytes;
/// on failure returns non-zero and writes a message into error (error_size bytes).
int ojph_shim_encode(const int32_t *samples, uint32_t width, uint32_t height, uint32_t components,
                     uint32_t bit_depth, int is_signed, int reversible, float delta, int colour_transform,
                     uint32_t decompositions, const char *progression,
                     uint8_t **out, size_t *out_size, char *error, size_t error_size);

void ojph_shim_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
