# Replicate weights stored compactly: a pa_replicates object of storage
# "compact" holds what makes its replicates (the C engine's specification
# of the weighting, from boot_spec(), with the seed, type and replicate
# indices) and not the respondents x replicates matrices, which at 1e5
# people and B = 500 take most of a gigabyte. A replicate's draws depend
# on the seed and its index alone, so the engine run again on any subset
# of the replicates, in pieces of any size and on any number of threads,
# gives the same numbers bit for bit; the matrices are made when asked
# for, after a memory check, and a chunk of columns at a time through
# replicate_chunk(). The replicates are run once when the object is made,
# keeping only which failed, so that the warning about failures comes
# once, from replicate_weights().
#
# The "dense" storage is the list of matrices itself (what
# replicate_weights() returned before compact storage existed).

compact_replicates <- function(w, control) {
  spec <- boot_spec(w)
  indices <- boot_indices(control)
  type <- if (is.null(spec$design)) control$type else "raowu"
  resp <- w$panel$response
  waves <- w$panel$waves
  count <- length(indices)
  per <- 8 * as.numeric(sum(resp))
  size <- replicate_piece_size(per, count, control$threads)
  check_allocation(
    per * size + 12 * as.numeric(count),
    sprintf(paste("Running %d bootstrap replicates of the weights of %d",
                  "answers (%d at a time)"), count, sum(resp), size),
    "Use fewer replicates (`control = boot_control(B = )`).",
    argument = "control"
  )
  fail <- matrix(0L, 3L, count)
  boot_in_pieces(spec, control$seed, boot_type_code(type), indices,
                 control$threads, size, function(res, at) {
                   fail[, at] <<- res$fail
                 }, label = "Bootstrap replicates of the weights")
  failures <- replicate_failures(w, fail, indices)
  new_compact_replicates(spec, rownames(resp), waves, control$seed, type,
                         control$B, indices, failures)
}

new_compact_replicates <- function(spec, ids, waves, seed, type, B, indices,
                                   failures) {
  structure(list(spec = spec, ids = ids, waves = waves),
            seed = seed, type = type, B = B, indices = indices,
            failed = failures$replicate, failures = failures,
            storage = "compact", class = "pa_replicates")
}

is_compact <- function(x) identical(attr(x, "storage"), "compact")

# How many replicates to run at once: the engine returns every wave's
# weights of a piece, so a piece is kept to about 64 MB (and a quarter of
# the memory limit), but at least one replicate per thread.
replicate_piece_size <- function(per_replicate, count, threads) {
  limit <- getOption("panelattrition.max_bytes", 8 * 2^30)
  budget <- if (is.numeric(limit) && length(limit) == 1L && !is.na(limit) &&
                limit > 0) min(2^26, limit / 4) else 2^26
  size <- max(floor(budget / max(per_replicate, 1)), 1)
  as.integer(min(max(size, min(threads, count)), max(count, 1L)))
}

# Runs the C engine over `indices` in pieces of at most `size` replicates
# and hands each piece's result, with its positions in `indices`, to `f`.
# The pieces give the same numbers as one call (see boot_control()).
boot_in_pieces <- function(spec, seed, code, indices, threads, size, f,
                           label = NULL) {
  count <- length(indices)
  bar <- if (!is.null(label)) progress_start(label, count)
  if (!is.null(bar)) {
    size <- min(size, max(as.integer(threads), ceiling(count / 50), 1L))
  }
  pos <- seq_len(count)
  for (at in split(pos, ceiling(pos / size))) {
    res <- .Call(C_boot_replicates, spec, NULL, seed, code, indices[at],
                 as.integer(threads))
    f(res, at)
    progress_step(bar, length(at))
  }
  progress_end(bar)
  invisible()
}

# Who the rows of each wave's matrix are (their ids), without making it.
replicate_ids <- function(x) {
  if (!is_compact(x)) return(lapply(unclass(x), rownames))
  resp <- .subset2(x, "spec")$resp
  ids <- .subset2(x, "ids")
  out <- lapply(seq_len(ncol(resp)), function(t) ids[resp[, t] != 0L])
  names(out) <- .subset2(x, "waves")
  out
}

replicate_counts <- function(x) lengths(replicate_ids(x))

# The matrices of waves `t` (positions) for the replicates at positions
# `at` of attr(x, "indices"), made again by the engine after a memory
# check: a list named by wave.
regenerate_replicates <- function(x, t, at, threads = as.integer(pa_threads()),
                                  argument = NULL) {
  spec <- .subset2(x, "spec")
  waves <- .subset2(x, "waves")
  indices <- attr(x, "indices")[at]
  ids <- replicate_ids(x)
  count <- length(indices)
  n_t <- lengths(ids)
  per <- 8 * as.numeric(sum(n_t))
  size <- replicate_piece_size(per, count, threads)
  keep <- 8 * as.numeric(sum(n_t[t])) * count
  check_allocation(
    keep + per * size,
    sprintf("The bootstrap replicate weights of %s (%s %s x %d %s)",
            paste(waves[t], collapse = ", "),
            format(sum(n_t[t]), big.mark = ","),
            plural(sum(n_t[t]), "answer"), count,
            plural(count, "replicate")),
    paste("Take the replicates a chunk at a time with replicate_chunk(),",
          "or use fewer replicates."),
    argument = argument
  )
  out <- lapply(t, function(k) matrix(NA_real_, n_t[[k]], count))
  boot_in_pieces(spec, attr(x, "seed"), boot_type_code(attr(x, "type")),
                 indices, threads, size, function(res, pos) {
                   for (j in seq_along(t)) {
                     out[[j]][, pos] <<- res$weights[[t[j]]]
                   }
                 })
  for (j in seq_along(t)) {
    dimnames(out[[j]]) <- list(ids[[t[j]]], paste0("b", indices))
  }
  names(out) <- waves[t]
  out
}

# The position of wave `i` (a label or a number) among the waves of x, or
# NA for a label it does not have.
replicate_wave_index <- function(x, i, arg) {
  waves <- names(x)
  if (is.character(i) && length(i) == 1L && !is.na(i)) return(match(i, waves))
  if (is.numeric(i) && length(i) == 1L && !is.na(i) && i == round(i) &&
      i >= 1 && i <= length(waves)) {
    return(as.integer(i))
  }
  arg_error(arg, sprintf("one of the waves (%s) or its position",
                         paste(waves, collapse = ", ")), i)
}

#' Bootstrap replicate weights a chunk at a time
#'
#' The replicate weights of one wave for some of the replicates: the
#' columns `paste0("b", replicates)` of the wave's matrix of
#' [replicate_weights()], [identical()] to those columns of the whole
#' matrix. With the default compact storage only these columns are made
#' (the bootstrap is run again for these replicates), so a loop over
#' chunks of replicates never holds all of them at once.
#'
#' @param x A `pa_replicates` object from [replicate_weights()] or
#'   [combine_replicates()].
#' @param wave The wave, one of `names(x)`.
#' @param replicates The replicate numbers (the `b` of the column names
#'   `b1`, `b2`, ...; for a chunk of a bootstrap, among
#'   `attr(x, "indices")`), by default all of them.
#' @param threads Number of OpenMP threads that re-run the replicates.
#' @return A matrix: rows are the wave's respondents (row names their
#'   ids), columns the replicates asked for, in the order asked; a failed
#'   replicate's column is `NA`.
#' @seealso [replicate_weights()] (section Storage).
#' @export
#' @examples
#' files <- c(
#'   T1 = system.file("extdata", "wave1.csv", package = "panelattrition"),
#'   T2 = system.file("extdata", "wave2.csv", package = "panelattrition"),
#'   T3 = system.file("extdata", "wave3.csv", package = "panelattrition")
#' )
#' panel <- panel_data(read_waves(files, id = "id"), id = "id", wave = "wave",
#'                     baseline = c("group", "gender", "age"))
#' w <- attrition_weights(panel, ~ group + gender + age, monotone = FALSE)
#' reps <- replicate_weights(w, boot_control(B = 100, seed = 7))
#' t3 <- panel$data[panel$data$wave == "T3", ]
#' y <- t3$wellbeing[match(rownames(reps$T3), t3$id)]
#' ok <- !is.na(y)
#' # replicate means of wellbeing at T3, 25 replicates at a time
#' means <- unlist(lapply(split(1:100, rep(1:4, each = 25)), function(b) {
#'   r <- replicate_chunk(reps, "T3", b)
#'   colSums(r[ok, ] * y[ok]) / colSums(r[ok, ])
#' }))
#' sd(means)
replicate_chunk <- function(x, wave, replicates = attr(x, "indices"),
                            threads = getOption("panelattrition.threads", 2L)) {
  check_required("x", "wave")
  if (!inherits(x, "pa_replicates")) {
    arg_error("x", "a pa_replicates object from replicate_weights()", x)
  }
  check_wave(wave, names(x), "wave")
  indices <- attr(x, "indices")
  if (!is.numeric(replicates) || length(replicates) == 0L ||
      anyNA(replicates) || any(replicates != round(replicates))) {
    arg_error("replicates", "a vector of replicate numbers", replicates)
  }
  at <- match(replicates, indices)
  if (anyNA(at)) {
    pa_abort(sprintf("`replicates` must be among the replicates of `x` (%s), not %s.",
                     format_index_range(indices),
                     format(replicates[is.na(at)][1L])),
             class = "panelattrition_arg_error", argument = "replicates")
  }
  if (!is.numeric(threads) || length(threads) != 1L || is.na(threads) ||
      threads < 1 || threads != round(threads) ||
      threads > .Machine$integer.max) {
    arg_error("threads", "a whole number of at least 1", threads)
  }
  t <- match(wave, names(x))
  if (!is_compact(x)) return(.subset2(x, t)[, at, drop = FALSE])
  regenerate_replicates(x, t, at, as.integer(threads),
                        argument = "replicates")[[1L]]
}

format_index_range <- function(indices) {
  if (length(indices) > 1L && identical(indices, seq.int(indices[1L],
                                                         length.out = length(indices)))) {
    sprintf("%d to %d", indices[1L], indices[length(indices)])
  } else {
    format_values(as.character(indices))
  }
}

# Methods: a compact object answers as the list of matrices would.

#' @rdname replicate_weights
#' @export
names.pa_replicates <- function(x) {
  if (is_compact(x)) .subset2(x, "waves") else NextMethod()
}

#' @rdname replicate_weights
#' @export
length.pa_replicates <- function(x) {
  if (is_compact(x)) length(.subset2(x, "waves")) else NextMethod()
}

#' @rdname replicate_weights
#' @param i,name A wave: its label or (for `[[`) its position.
#' @export
`[[.pa_replicates` <- function(x, i, ...) {
  if (!is_compact(x)) return(NextMethod())
  t <- replicate_wave_index(x, i, "i")
  if (is.na(t)) return(NULL)
  regenerate_replicates(x, t, seq_along(attr(x, "indices")),
                        argument = "x")[[1L]]
}

#' @rdname replicate_weights
#' @export
`$.pa_replicates` <- function(x, name) {
  if (!is_compact(x)) return(NextMethod())
  x[[name]]
}

#' @rdname replicate_weights
#' @export
`[.pa_replicates` <- function(x, i, ...) {
  if (!is_compact(x)) return(NextMethod())
  waves <- names(x)
  t <- match(stats::setNames(seq_along(waves), waves)[i], seq_along(waves))
  if (anyNA(t)) {
    arg_error("i", sprintf("waves of `x` (%s)", paste(waves, collapse = ", ")),
              i)
  }
  if (!length(t)) return(stats::setNames(list(), character()))
  regenerate_replicates(x, t, seq_along(attr(x, "indices")), argument = "x")
}

#' @rdname replicate_weights
#' @export
as.list.pa_replicates <- function(x, ...) {
  if (!is_compact(x)) return(NextMethod())
  regenerate_replicates(x, seq_along(names(x)),
                        seq_along(attr(x, "indices")), argument = "x")
}

#' @rdname replicate_weights
#' @param wave For `as.matrix()`: the wave whose matrix to return.
#' @export
as.matrix.pa_replicates <- function(x, wave, ...) {
  if (missing(wave)) {
    arg_error("wave", sprintf("one of the waves of `x` (%s)",
                              paste(names(x), collapse = ", ")), NULL)
  }
  check_wave(wave, names(x), "wave")
  if (!is_compact(x)) return(.subset2(x, wave))
  regenerate_replicates(x, match(wave, names(x)),
                        seq_along(attr(x, "indices")),
                        argument = "wave")[[1L]]
}

# f applied to each wave's matrix of replicates, a piece of columns at a
# time for compact storage: a list (by wave) of the pieces' results
# concatenated.
replicate_apply <- function(x, f, threads = as.integer(pa_threads())) {
  if (!is_compact(x)) return(lapply(unclass(x), f))
  waves <- names(x)
  n_t <- replicate_counts(x)
  indices <- attr(x, "indices")
  size <- replicate_piece_size(8 * as.numeric(sum(n_t)), length(indices),
                               threads)
  out <- lapply(waves, function(wv) list())
  boot_in_pieces(.subset2(x, "spec"), attr(x, "seed"),
                 boot_type_code(attr(x, "type")), indices, threads, size,
                 function(res, at) {
                   for (t in seq_along(waves)) {
                     out[[t]][[length(out[[t]]) + 1L]] <<- f(res$weights[[t]])
                   }
                 })
  out <- lapply(out, function(p) unlist(p, use.names = FALSE))
  names(out) <- waves
  out
}
