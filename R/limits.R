# Memory guards: before an allocation that grows with the product of the
# panel's size and the number of cells, replicates or levels, estimate it
# and stop with a classed error saying how much and why, instead of
# failing deep inside R (or not at all for minutes). The limit is the
# option `panelattrition.max_bytes` (default 8 GiB).

check_allocation <- function(bytes, what, fix, argument = NULL) {
  limit <- getOption("panelattrition.max_bytes", 8 * 2^30)
  if (!is.numeric(limit) || length(limit) != 1L || is.na(limit) ||
      limit <= 0) {
    pa_abort(sprintf("The option `panelattrition.max_bytes` must be a positive number of bytes, not %s.",
                     describe_value(limit)),
             class = "panelattrition_option_error",
             option = "panelattrition.max_bytes")
  }
  if (bytes > limit) {
    pa_abort(
      sprintf(paste("%s would need about %s of memory, more than the limit",
                    "of %s (option `panelattrition.max_bytes`). %s"),
              what, format_bytes(bytes), format_bytes(limit), fix),
      class = "panelattrition_size_error", argument = argument,
      bytes = bytes, limit = limit
    )
  }
  invisible(bytes)
}

format_bytes <- function(b) {
  units <- c("bytes", "KB", "MB", "GB", "TB", "PB")
  k <- max(0, min(length(units) - 1, floor(log(max(b, 1), 1024))))
  sprintf("%.1f %s", b / 1024^k, units[k + 1])
}
