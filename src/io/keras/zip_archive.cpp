// The .keras zip container through libzip (zip_archive.hpp).
#include "io/keras/zip_archive.hpp"

#include <fmt/format.h>
#include <zip.h>

#include <memory>

#include "lamina/core/error.hpp"

namespace lamina::io::keras {

namespace {

zip_t* as_zip(void* p) { return static_cast<zip_t*>(p); }

[[noreturn]] void bad_zip(const std::string& source, const std::string& problem, const std::string& expected,
                          const std::string& found, const std::string& hint = "") {
  throw ValueError({.problem = fmt::format("invalid .keras archive '{}': {}", source, problem),
                    .expected = expected,
                    .found = found,
                    .hint = hint.empty() ? "the file is truncated or damaged; save it again with Keras" : hint});
}

}  // namespace

ZipReader::ZipReader(std::string_view bytes, std::string source) : source_(std::move(source)) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (!src) {
    std::string why = zip_error_strerror(&error);
    zip_error_fini(&error);
    bad_zip(source_, "libzip cannot read it", "a zip archive", why);
  }
  zip_t* za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &error);
  if (!za) {
    zip_source_free(src);
    std::string why = zip_error_strerror(&error);
    zip_error_fini(&error);
    bad_zip(source_, "it is not a readable zip archive", "a zip archive (Keras's .keras format)", why);
  }
  zip_error_fini(&error);
  archive_ = za;
  std::unique_ptr<ZipReader, void (*)(ZipReader*)> guard(this, [](ZipReader* r) {
    zip_discard(as_zip(r->archive_));
    r->archive_ = nullptr;
  });

  zip_int64_t n = zip_get_num_entries(za, 0);
  if (n < 0 || static_cast<std::uint64_t>(n) > kMaxMembers)
    bad_zip(source_, "it has too many members", fmt::format("at most {}", kMaxMembers), std::to_string(n));
  for (zip_int64_t i = 0; i < n; ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(za, static_cast<zip_uint64_t>(i), 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME) ||
        !(st.valid & ZIP_STAT_SIZE) || !(st.valid & ZIP_STAT_COMP_SIZE) || !(st.valid & ZIP_STAT_COMP_METHOD))
      bad_zip(source_, "a member's directory entry cannot be read", "complete entries", fmt::format("member #{}", i));
    ZipMemberInfo m{.name = st.name, .size = st.size, .compressed_size = st.comp_size,
                    .stored = st.comp_method == ZIP_CM_STORE};
    if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)
      bad_zip(source_, fmt::format("member '{}' is encrypted", m.name), "unencrypted members", "an encrypted member",
              "Keras never encrypts; extract and re-zip it without a password");
    if (st.comp_method != ZIP_CM_STORE && st.comp_method != ZIP_CM_DEFLATE)
      bad_zip(source_, fmt::format("member '{}' uses an unsupported compression", m.name), "stored or deflate",
              fmt::format("method {}", st.comp_method), "re-zip it with `zip` or Python's zipfile");
    if (m.compressed_size > bytes.size() || (m.stored && m.size != m.compressed_size))
      bad_zip(source_, fmt::format("member '{}' is larger than the archive", m.name),
              fmt::format("at most {} bytes", bytes.size()), fmt::format("{} bytes", m.compressed_size));
    if (m.size > kMaxMemberBytes || (m.size > (1u << 20) && m.size / kMaxExpansion > m.compressed_size))
      bad_zip(source_, fmt::format("member '{}' declares {} bytes but stores only {} (a zip bomb)", m.name, m.size,
                                   m.compressed_size),
              fmt::format("at most {}x expansion and at most {} bytes", kMaxExpansion, kMaxMemberBytes),
              fmt::format("{}x", m.compressed_size ? m.size / m.compressed_size : m.size),
              "refusing to inflate it, as Keras refuses such members");
    if (!index_.emplace(m.name, static_cast<std::uint64_t>(i)).second)
      bad_zip(source_, fmt::format("member '{}' appears twice", m.name), "unique member names", "a duplicate");
    members_.push_back(std::move(m));
  }
  guard.release();
}

ZipReader::~ZipReader() {
  if (archive_) zip_discard(as_zip(archive_));
}

bool ZipReader::has(const std::string& name) const { return index_.count(name) > 0; }

std::string ZipReader::read(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) {
    std::string names;
    for (const auto& m : members_) names += (names.empty() ? "" : ", ") + m.name;
    bad_zip(source_, fmt::format("it has no member '{}'", name), "config.json and model.weights.h5 (Keras 3 layout)",
            names.empty() ? "no members" : names, "is it a .keras file written by Keras 3 (or tf.keras 2.13+)?");
  }
  const ZipMemberInfo& m = members_[it->second];
  zip_file_t* f = zip_fopen_index(as_zip(archive_), it->second, 0);
  if (!f) bad_zip(source_, fmt::format("member '{}' cannot be opened", name), "a readable member", zip_strerror(as_zip(archive_)));
  std::string out(m.size, '\0');
  zip_int64_t got = m.size ? zip_fread(f, out.data(), m.size) : 0;
  char extra;
  zip_int64_t more = got == static_cast<zip_int64_t>(m.size) ? zip_fread(f, &extra, 1) : 0;
  std::string why = got < 0 || more < 0 ? zip_file_strerror(f) : "";
  zip_fclose(f);
  if (got != static_cast<zip_int64_t>(m.size) || more != 0)
    bad_zip(source_, fmt::format("member '{}' cannot be read whole", name), fmt::format("{} bytes", m.size),
            why.empty() ? fmt::format("{} bytes", got + (more > 0 ? more : 0)) : why);
  return out;
}

std::string write_zip(const std::vector<std::pair<std::string, std::string>>& members) {
  auto fail = [](const std::string& what, const std::string& why) -> void {
    throw IOError({.problem = "libzip could not " + what + " while writing a .keras archive",
                   .expected = "an in-memory zip archive",
                   .found = why,
                   .hint = "free some memory; if it persists, report it"});
  };
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* src = zip_source_buffer_create(nullptr, 0, 0, &error);
  if (!src) fail("create a buffer", zip_error_strerror(&error));
  zip_t* za = zip_open_from_source(src, ZIP_TRUNCATE, &error);
  if (!za) {
    zip_source_free(src);
    fail("create the archive", zip_error_strerror(&error));
  }
  zip_error_fini(&error);
  zip_source_keep(src);
  for (const auto& [name, data] : members) {
    zip_source_t* s = zip_source_buffer(za, data.data(), data.size(), 0);
    zip_int64_t idx = s ? zip_file_add(za, name.c_str(), s, ZIP_FL_ENC_UTF_8) : -1;
    if (idx < 0) {
      if (s) zip_source_free(s);
      std::string why = zip_strerror(za);
      zip_discard(za);
      zip_source_free(src);
      fail("add " + name, why);
    }
    auto i = static_cast<zip_uint64_t>(idx);
    zip_set_file_compression(za, i, ZIP_CM_STORE, 0);
    zip_file_set_dostime(za, i, 0, (0 << 9) | (1 << 5) | 1, 0);  // 1980-01-01 00:00
    zip_file_set_external_attributes(za, i, 0, ZIP_OPSYS_UNIX, 0600u << 16);
  }
  if (zip_close(za) != 0) {
    std::string why = zip_strerror(za);
    zip_discard(za);
    zip_source_free(src);
    fail("finish the archive", why);
  }
  std::string out;
  if (zip_source_open(src) == 0) {
    zip_source_seek(src, 0, SEEK_END);
    zip_int64_t size = zip_source_tell(src);
    zip_source_seek(src, 0, SEEK_SET);
    if (size > 0) {
      out.resize(static_cast<std::size_t>(size));
      if (zip_source_read(src, out.data(), static_cast<zip_uint64_t>(size)) != size) out.clear();
    }
    zip_source_close(src);
  }
  zip_source_free(src);
  if (out.empty()) fail("read the finished archive back", "a short read");
  return out;
}

}  // namespace lamina::io::keras
