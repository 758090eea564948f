// OpenJPH 0.9 behind a C function: builds a codestream in memory line by line, catches every
// exception (OpenJPH reports errors by throwing) and returns a status instead.
#include "COpenJPHShim.h"

#include <cstdlib>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>

#include <openjph/ojph_arch.h>
#include <openjph/ojph_codestream.h>
#include <openjph/ojph_file.h>
#include <openjph/ojph_mem.h>
#include <openjph/ojph_params.h>
#include <openjph/ojph_message.h>

namespace {
// OpenJPH prints its messages to stderr and then throws; keep them quiet, the exception carries the news.
class silent_error : public ojph::message_error {
public:
  void operator()(int code, const char *file_name, int line_num, const char *fmt, ...) override {
    (void)file_name; (void)line_num; (void)fmt;
    throw std::runtime_error("OpenJPH error " + std::to_string(code));
  }
};
class silent_warning : public ojph::message_warning {
public:
  void operator()(int, const char *, int, const char *, ...) override {}
};
class silent_info : public ojph::message_info {
public:
  void operator()(int, const char *, int, const char *, ...) override {}
};
silent_error error_handler;
silent_warning warning_handler;
silent_info info_handler;

void set_error(char *error, size_t size, const char *text) {
  if (error && size > 0) {
    std::strncpy(error, text, size - 1);
    error[size - 1] = 0;
  }
}
}  // namespace

extern "C" int ojph_shim_encode(const int32_t *samples, uint32_t width, uint32_t height, uint32_t components,
                                uint32_t bit_depth, int is_signed, int reversible, float delta, int colour_transform,
                                uint32_t decompositions, const char *progression,
                                uint8_t **out, size_t *out_size, char *error, size_t error_size) {
  if (!samples || !out || !out_size || width == 0 || height == 0 || components == 0 || components > 4 ||
      bit_depth == 0 || bit_depth > 16) {
    set_error(error, error_size, "invalid arguments");
    return 1;
  }
  *out = nullptr;
  *out_size = 0;
  try {
    static const bool configured = [] {   // process-wide handlers, installed once (thread-safe static init)
      ojph::configure_error(&error_handler);
      ojph::configure_warning(&warning_handler);
      ojph::configure_info(&info_handler);
      return true;
    }();
    (void)configured;
    ojph::codestream cs;
    ojph::param_siz siz = cs.access_siz();
    siz.set_image_extent(ojph::point(width, height));
    siz.set_num_components(components);
    for (uint32_t c = 0; c < components; ++c)
      siz.set_component(c, ojph::point(1, 1), bit_depth, is_signed != 0);
    siz.set_image_offset(ojph::point(0, 0));
    siz.set_tile_size(ojph::size(width, height));
    siz.set_tile_offset(ojph::point(0, 0));
    ojph::param_cod cod = cs.access_cod();
    cod.set_num_decomposition(decompositions);
    cod.set_block_dims(64, 64);
    cod.set_progression_order(progression ? progression : "RPCL");
    cod.set_color_transform(colour_transform != 0 && components == 3);
    cod.set_reversible(reversible != 0);
    if (!reversible) cs.access_qcd().set_irrev_quant(delta);
    cs.set_planar(false);

    ojph::mem_outfile file;
    file.open();
    cs.write_headers(&file);
    ojph::ui32 next = 0;
    ojph::line_buf *line = cs.exchange(nullptr, next);
    for (uint32_t y = 0; y < height; ++y) {
      for (uint32_t c = 0; c < components; ++c) {
        const int32_t *row = samples + static_cast<size_t>(y) * width * components;
        int32_t *dst = line->i32;
        for (uint32_t x = 0; x < width; ++x) dst[x] = row[static_cast<size_t>(x) * components + next];
        line = cs.exchange(line, next);
      }
    }
    cs.flush();
    size_t size = static_cast<size_t>(file.tell());
    uint8_t *buffer = static_cast<uint8_t *>(std::malloc(size ? size : 1));
    if (!buffer) {
      cs.close();
      set_error(error, error_size, "out of memory");
      return 2;
    }
    std::memcpy(buffer, file.get_data(), size);
    cs.close();
    *out = buffer;
    *out_size = size;
    return 0;
  } catch (const std::exception &e) {
    set_error(error, error_size, e.what());
    return 3;
  } catch (...) {
    set_error(error, error_size, "unknown OpenJPH failure");
    return 4;
  }
}

extern "C" void ojph_shim_free(void *p) { std::free(p); }
