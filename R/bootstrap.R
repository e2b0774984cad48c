# Bootstrap replicate weights: people are resampled (Bayesian bootstrap by
# default; with a sampling design, PSUs within strata by the Rao-Wu
# rescaling bootstrap) and every response model or calibration behind the
# attrition weights is re-fitted in every replicate, in C (src/boot.c), so
# that any estimate computed with the replicate weights has a variance that
# counts the estimation of the weights. Replicates are keyed by (seed, index), so
# chunks of them can be computed anywhere and combined into exactly the
# single-process result. Also here: designs for the survey package.

#' Settings of the bootstrap
#'
#' Says how many bootstrap replicates to draw, of which kind, from which
#' seed, on how many threads, and optionally which of them to compute here
#' (a chunk, for spreading the work over several processes or machines).
#'
#' @section Replicates:
#' In replicate `b`, person `i` of the panel (everyone who started, when
#' the panel has a frame) gets a weight `r_i`: for `type = "bayes"` (the
#' Bayesian bootstrap, Rubin 1981) `r_i = E_i / mean(E)` with `E_i`
#' independent standard exponential, so the weights are positive and
#' average 1; for `type = "multinomial"` (Efron's bootstrap) `r_i` is the
#' number of times person `i` is drawn in `n` draws with replacement. The
#' whole weighting of [attrition_weights()] is then run again on the
#' sample in which person `i` counts `r_i` times: see
#' [replicate_weights()].
#'
#' With a sampling design in the panel (`strata`, `cluster`, `fpc` or
#' `design` in [panel_data()]) people are not resampled one by one, which
#' would ignore the design: see "Designs" below; `type` is then not used.
#'
#' The draws of replicate `b` come from a random stream determined by
#' `seed` and `b` alone (xoshiro256** seeded through splitmix64), so the
#' replicate weights are bit-for-bit the same for any number of `threads`
#' and whether the replicates are computed together or in chunks.
#'
#' @section Designs:
#' For a panel with a sampling design the replicates are the Rao-Wu
#' rescaling bootstrap of PSUs within strata (Rao and Wu 1988), with the
#' semantics of survey's `as.svrepdesign(type = "subbootstrap")`:
#' independently in each stratum \eqn{h} with \eqn{n_h} PSUs, \eqn{m_h =
#' n_h - 1} PSUs are drawn with replacement, and everyone in PSU \eqn{j},
#' drawn \eqn{c_{hj}}{c_hj} times, gets
#' \deqn{r_i = 1 - \lambda_h + \lambda_h \frac{n_h}{m_h} c_{hj}}{r_i = 1 - lambda_h + lambda_h (n_h / m_h) c_hj}
#' with \eqn{\lambda_h = 1} without a finite population correction (so
#' \eqn{r_i = c_{hj} n_h / m_h}{r_i = c_hj n_h / m_h}, survey's replicate factor) and
#' \eqn{\lambda_h = \sqrt{m_h (1 - f_h) / (n_h - 1)} = \sqrt{1 - f_h}}{lambda_h = sqrt(m_h (1 - f_h) / (n_h - 1)) = sqrt(1 - f_h)},
#' \eqn{f_h = n_h / N_h}, with one (the rescaling of Rao, Wu and Yue 1992
#' for sampling PSUs without replacement; survey's subbootstrap has no
#' fpc). The multipliers have mean 1 and add up to \eqn{n_h} in every
#' stratum, and for a total the bootstrap variance is exactly the
#' design-based variance the sandwich uses,
#' \eqn{\sum_h (1 - f_h) \frac{n_h}{n_h - 1} \sum_j (z_{hj} - \bar z_h)^2}{sum_h (1 - f_h) n_h / (n_h - 1) sum_j (z_hj - zbar_h)^2}.
#' The replicate base weight of person \eqn{i} is \eqn{d_i r_i}, and
#' every stage of the weighting is re-fitted with it as for any other
#' replicate (see [replicate_weights()]). The variance of an estimate is
#' \eqn{\sum_b (\hat\theta_b - \bar\theta)^2 / (B - 1)}{sum_b (theta_b - mean(theta))^2 / (B - 1)}, survey's for
#' this bootstrap (`scale = 1 / (B - 1)`, `rscales = 1`).
#'
#' A stratum whose PSUs were all sampled (\eqn{f_h = 1}) adds no
#' variance: its multipliers are 1. A stratum with one PSU follows the
#' lonely-PSU rule of the panel ([panel_data()]'s `lonely_psu`, else
#' `getOption("survey.lonely.psu")`): `"fail"` is an error, `"remove"`
#' (and survey's `"certainty"`) gives it multipliers 1, as survey's
#' `"remove"` gives it no variance; `"adjust"` and `"average"` have no
#' counterpart in resampling PSUs within strata and are refused (an error
#' of class `panelattrition_lonely_psu_error`), rather than quietly
#' treated as `"remove"`.
#'
#' The draws still come from the stream of `(seed, b)`, so design
#' replicates too are identical for any number of threads and any split
#' into chunks.
#'
#' @section Splitting the work over processes:
#' Fix the seed once, give each worker a `chunk` of the replicate indices
#' `1:B`, and put the pieces together with [combine_replicates()]: the
#' result is [identical()] to computing all `B` replicates in one process.
#' With the future framework any backend works (`multisession`,
#' `cluster`, `future.batchtools`):
#'
#' ```
#' ctrl <- boot_control(B = 1000, seed = 20240611)
#' chunks <- split(seq_len(ctrl$B), rep(1:8, length.out = ctrl$B))
#' future::plan(future::multisession, workers = 8)
#' parts <- future.apply::future_lapply(chunks, function(idx) {
#'   replicate_weights(w, boot_control(B = ctrl$B, type = ctrl$type,
#'                                     seed = ctrl$seed, chunk = idx))
#' })
#' reps <- combine_replicates(parts)
#' ```
#'
#' The workers draw no random numbers from R, so no `future.seed` is
#' needed.
#'
#' @param B Number of bootstrap replicates, a whole number of at least 2.
#' @param type `"bayes"` (Bayesian bootstrap) or `"multinomial"`, for a
#'   panel without a sampling design (with one, PSUs are resampled: see
#'   Designs).
#' @param seed A whole number from 0 to 2^53 - 1, or `NULL` to draw one
#'   from R's random number generator now (so [set.seed()] before
#'   `boot_control()` reproduces the replicates).
#' @param threads Number of OpenMP threads that compute replicates in
#'   parallel (1 where the package was built without OpenMP). Defaults to
#'   the option `panelattrition.threads`, or 2.
#' @param chunk `NULL` for all replicates `1:B`, or the indices (whole
#'   numbers from 1 to `B`, without repeats) of the replicates to compute
#'   here.
#' @return A `pa_boot_control` list with elements `B`, `type`, `seed`,
#'   `threads` and `chunk`.
#' @references
#' Rubin, D. B. (1981). The Bayesian bootstrap. *The Annals of Statistics*,
#' 9, 130-134.
#'
#' Efron, B. and Tibshirani, R. J. (1993). *An Introduction to the
#' Bootstrap*. Chapman and Hall.
#'
#' Rao, J. N. K. and Wu, C. F. J. (1988). Resampling inference with complex
#' survey data. *Journal of the American Statistical Association*, 83,
#' 231-241.
#'
#' Rao, J. N. K., Wu, C. F. J. and Yue, K. (1992). Some recent work on
#' resampling methods for complex surveys. *Survey Methodology*, 18,
#' 209-217.
#'
#' Blackman, D. and Vigna, S. (2021). Scrambled linear pseudorandom number
#' generators. *ACM Transactions on Mathematical Software*, 47, 36.
#' @seealso [replicate_weights()], [combine_replicates()],
#'   [as_svrepdesign()].
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
#' ctrl <- boot_control(B = 40, seed = 1)
#' all <- replicate_weights(w, ctrl)
#' # the same replicates in two chunks (here one after the other; see
#' # "Splitting the work over processes" for future workers)
#' parts <- lapply(list(1:25, 26:40), function(idx) {
#'   replicate_weights(w, boot_control(B = 40, seed = 1, chunk = idx))
#' })
#' identical(combine_replicates(parts), all)
boot_control <- function(B = 1000, type = c("bayes", "multinomial"),
                         seed = NULL,
                         threads = getOption("panelattrition.threads", 2L),
                         chunk = NULL) {
  if (!is.numeric(B) || length(B) != 1L || is.na(B) || B < 2 ||
      B != round(B) || B > .Machine$integer.max) {
    arg_error("B", "a whole number of at least 2", B)
  }
  B <- as.integer(B)
  type <- match_choice(type, c("bayes", "multinomial"), "type")
  if (is.null(seed)) {
    seed <- as.double(sample.int(.Machine$integer.max, 1L))
  } else if (!is.numeric(seed) || length(seed) != 1L || is.na(seed) ||
             seed < 0 || seed >= 2^53 || seed != round(seed)) {
    arg_error("seed", "NULL or a whole number from 0 to 2^53 - 1", seed)
  }
  if (!is.numeric(threads) || length(threads) != 1L || is.na(threads) ||
      threads < 1 || threads != round(threads) ||
      threads > .Machine$integer.max) {
    arg_error("threads", "a whole number of at least 1", threads)
  }
  if (!is.null(chunk)) {
    if (!is.numeric(chunk) || length(chunk) == 0L || anyNA(chunk) ||
        any(chunk != round(chunk))) {
      arg_error("chunk", "NULL or a vector of whole numbers", chunk)
    }
    if (any(chunk < 1 | chunk > B)) {
      bad <- chunk[chunk < 1 | chunk > B][1L]
      pa_abort(sprintf("`chunk` must hold replicate indices from 1 to `B` (%d), not %s.",
                       B, format(bad)),
               class = "panelattrition_arg_error", argument = "chunk")
    }
    if (anyDuplicated(chunk)) {
      pa_abort(sprintf("`chunk` must not repeat a replicate; %s appears more than once.",
                       format(chunk[anyDuplicated(chunk)])),
               class = "panelattrition_arg_error", argument = "chunk")
    }
    chunk <- as.integer(chunk)
  }
  structure(
    list(B = B, type = type, seed = as.double(seed),
         threads = as.integer(threads), chunk = chunk),
    class = "pa_boot_control"
  )
}

#' @rdname boot_control
#' @param x A `pa_boot_control` object.
#' @param ... Unused.
#' @export
print.pa_boot_control <- function(x, ...) {
  cat(sprintf("<pa_boot_control> %s bootstrap, B = %d, seed = %.0f, %d %s%s\n",
              if (x$type == "bayes") "Bayesian" else "multinomial", x$B,
              x$seed, x$threads, plural(x$threads, "thread"),
              if (is.null(x$chunk)) "" else
                sprintf(", chunk of %d replicates", length(x$chunk))))
  invisible(x)
}

check_boot_control <- function(control) {
  if (!inherits(control, "pa_boot_control")) {
    arg_error("control", "a pa_boot_control from boot_control()", control)
  }
  control
}

boot_indices <- function(control) control$chunk %||% seq_len(control$B)

boot_type_code <- function(type) {
  match(type, c("bayes", "multinomial", "raowu")) - 1L
}

boot_type_label <- function(type) {
  switch(type, bayes = "Bayesian", multinomial = "multinomial",
         raowu = "Rao-Wu (PSUs within strata)")
}

#' Bootstrap replicate weights
#'
#' Re-runs the weighting of [attrition_weights()] in each bootstrap
#' replicate and returns, for each wave, the replicate analysis weights of
#' that wave's respondents.
#'
#' @section What a replicate re-fits:
#' In replicate `b` person `i` counts `r_i` times (see [boot_control()];
#' for a panel with a sampling design `r_i` is the Rao-Wu multiplier of the
#' person's PSU, the same for everyone in it, see its section Designs).
#' The weighting is run on that sample exactly as [attrition_weights()]
#' ran it on the data:
#' * every response model (logistic or Firth) is re-fitted among the same
#'   people at risk with prior weights `d * r` (`d` the base weights);
#' * every calibration starts from the replicate's weights (base weights
#'   or, under monotone dropout, the previous wave's weights, times `r`)
#'   and reproduces totals recomputed from those start weights over the
#'   people at risk, or the fixed `margins`;
#' * weights are chained across waves as in the full sample (cumulative
#'   products under monotone dropout, one model per wave otherwise), and
#'   the stabilising response rates or numerator models are recomputed;
#' * trimming limits the weight of each copy of a person, at the quantile
#'   (or multiple of the mean) of the weights of the replicate's copies,
#'   the mass taken off being spread over the other copies, so each wave's
#'   replicate total is kept.
#'
#' The analysis weight of respondent `i` at wave `t` in replicate `b` is
#' `r_i` times the weight of one copy of that person. With every `r_i` equal
#' to 1 it is the weight of [attrition_weights()]. An estimate computed with
#' each column of weights in turn gives the bootstrap distribution of the
#' estimate; its variance counts the estimation of the weights.
#'
#' A replicate in which a stage cannot be fitted (separation, a category
#' with nobody at risk after resampling, calibration totals out of reach,
#' no convergence, or trimming that would cap every weight) is not used:
#' its columns are `NA`, it is listed in the `failed` attribute and a
#' warning of class `panelattrition_bootstrap_warning` says how many
#' failed and why.
#'
#' @section Storage:
#' With `storage = "compact"` (the default) the object keeps what makes
#' the replicates (the specification of the weighting that the bootstrap
#' re-runs, the seed, the type and the replicate numbers, and which
#' replicates failed) and not the matrices, which take
#' 8 bytes x answers x replicates (842 MB for 1e5 people, three waves and
#' `B = 500`). Each access re-runs the bootstrap for what it asks for and
#' gives [identical()] numbers every time (a replicate's draws depend on
#' the seed and its number alone): `reps$T3`, `reps[["T3"]]` and
#' `as.matrix(reps, wave = "T3")` make the wave's whole matrix (after a
#' memory check: an error of class `panelattrition_size_error` when it
#' exceeds the option `panelattrition.max_bytes`), and
#' [replicate_chunk()] makes some of its columns, so a loop over chunks
#' of replicates never holds them all. The price is time: every access
#' costs about what `replicate_weights()` cost, so take a wave's matrix
#' once and keep it while you use it.
#'
#' `storage = "dense"` returns the matrices themselves: quick to use
#' again, but the memory of all of them at once.
#'
#' What the object holds differs: the dense matrices are the replicate
#' weights only; the compact object holds the inputs of the weighting
#' that the bootstrap re-fits (the response models' and calibrations'
#' design matrices, that is the covariates of everyone at risk, and under
#' `history` their earlier answers; base weights; who answered which
#' wave). Hand on `as.matrix(reps, wave = )` or a dense object, not a
#' compact one, to someone who may see replicate weights but not those
#' covariates.
#'
#' @param w A `pa_weights` object from [attrition_weights()].
#' @param control A [boot_control()] object.
#' @param storage `"compact"` (keep what makes the replicates, and make
#'   them again when asked for) or `"dense"` (keep the matrices); see
#'   Storage.
#' @return A `pa_replicates` object that behaves as a list with one matrix
#'   per wave (named after the waves): rows are the wave's respondents, in
#'   the order of the panel's people (row names are their ids), columns
#'   are the replicates of `control` (named `b1`, `b2`, ...). With
#'   `storage = "dense"` it is that list; compact, its `$`, `[[`, `[`,
#'   `names()`, `length()`, `as.list()` and `as.matrix()` give the same
#'   matrices (see Storage). Attributes: `seed`,
#'   `type` (`"bayes"`, `"multinomial"`, or `"raowu"` with a design),
#'   `B`, `indices` (the replicate index of each column), `failed`
#'   (indices of the failed replicates) and `failures` (a data frame:
#'   `replicate`, `wave`, `stage`, `reason`), and `storage` (`"compact"`)
#'   for compact storage.
#' @references
#' Rubin, D. B. (1981). The Bayesian bootstrap. *The Annals of Statistics*,
#' 9, 130-134.
#'
#' Seaman, S. R. and White, I. R. (2013). Review of inverse probability
#' weighting for dealing with missing data. *Statistical Methods in Medical
#' Research*, 22, 278-295.
#' @seealso [boot_control()], [combine_replicates()], [as_svrepdesign()],
#'   [replicate_chunk()].
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
#' reps <- replicate_weights(w, boot_control(B = 200, seed = 7))
#' # bootstrap standard error of the weighted mean wellbeing at T3
#' # (the wave's matrix, made once: compact storage re-runs the bootstrap
#' # on every access)
#' r3 <- reps$T3
#' t3 <- panel$data[panel$data$wave == "T3", ]
#' y <- t3$wellbeing[match(rownames(r3), t3$id)]
#' ok <- !is.na(y)
#' means <- colSums(r3[ok, ] * y[ok]) / colSums(r3[ok, ])
#' sd(means)
#' # the same matrix again, bit for bit
#' identical(as.matrix(reps, wave = "T3"), reps$T3)
replicate_weights <- function(w, control = boot_control(),
                              storage = c("compact", "dense")) {
  check_required("w")
  check_weights_object(w)
  check_boot_control(control)
  storage <- match_choice(storage, c("compact", "dense"), "storage")
  check_design_bootstrap(w)
  if (storage == "compact") return(compact_replicates(w, control))
  check_allocation(
    8 * as.numeric(control$B) * sum(w$panel$response),
    sprintf("%d bootstrap replicates of the weights of %d answers",
            control$B, sum(w$panel$response)),
    "Use fewer replicates (`control = boot_control(B = )`), or the default `storage = \"compact\"`.",
    argument = "control"
  )
  run_replicates(w, control)
}

# The engine, with person weights either drawn in C (draws = NULL) or
# given (an n x length(indices) matrix, for tests).
run_replicates <- function(w, control, draws = NULL) {
  spec <- boot_spec(w)
  indices <- boot_indices(control)
  # with a design the replicates are always the Rao-Wu bootstrap of PSUs
  type <- if (is.null(spec$design)) control$type else "raowu"
  code <- boot_type_code(type)
  res <- if (!is.null(draws)) {
    .Call(C_boot_replicates, spec, draws, control$seed, code, indices,
          as.integer(control$threads))
  } else {
    # one call, or pieces between which the progress bar moves (the same
    # numbers either way)
    parts <- list()
    boot_in_pieces(spec, control$seed, code, indices, control$threads,
                   length(indices), function(r, at) {
                     parts[[length(parts) + 1L]] <<- r
                   }, label = "Bootstrap replicates of the weights")
    if (length(parts) == 1L) parts[[1L]] else {
      list(weights = lapply(seq_along(parts[[1L]]$weights), function(t) {
             do.call(cbind, lapply(parts, function(p) p$weights[[t]]))
           }),
           fail = do.call(cbind, lapply(parts, `[[`, "fail")))
    }
  }
  resp <- w$panel$response
  waves <- w$panel$waves
  out <- res$weights
  for (t in seq_along(waves)) {
    dimnames(out[[t]]) <- list(rownames(resp)[resp[, t]],
                               paste0("b", indices))
  }
  names(out) <- waves
  failures <- replicate_failures(w, res$fail, indices)
  new_replicates(out, control$seed, type, control$B, indices, failures)
}

# The failed replicates of the engine's fail record (3 x replicates: reason
# code, wave, where in the wave), warned about once.
replicate_failures <- function(w, fail, indices) {
  bad <- which(fail[1L, ] != 0L)
  failures <- new_failures(
    indices[bad], w$panel$waves[fail[2L, bad] + 1L],
    stage_labels(w, fail[2L, bad] + 1L, fail[3L, bad]),
    failure_reasons(fail[1L, bad])
  )
  if (length(bad)) warn_failures(failures, length(indices))
  failures
}

new_failures <- function(replicate, wave, stage, reason) {
  data.frame(replicate = as.integer(replicate), wave = as.character(wave),
             stage = as.character(stage), reason = as.character(reason),
             stringsAsFactors = FALSE)
}

new_replicates <- function(weights, seed, type, B, indices, failures) {
  structure(weights, seed = seed, type = type, B = B, indices = indices,
            failed = failures$replicate, failures = failures,
            class = "pa_replicates")
}

failure_reasons <- function(code) {
  c("linearly dependent columns", "separation", "no convergence",
    "totals out of reach", "every weight capped", "no usable weights")[code]
}

stage_labels <- function(w, wave_index, where) {
  waves <- w$panel$waves
  what <- vapply(seq_along(waves), function(t) {
    st <- Find(function(s) s$wave_index == t, w$stages)
    if (is.null(st)) "response model" else stage_kind(st)$what
  }, character(1))
  ifelse(where == 2L, "trimming",
         ifelse(where == 1L, "numerator model", what[wave_index]))
}

warn_failures <- function(failures, total) {
  k <- nrow(failures)
  first <- utils::head(failures, 3L)
  pa_warn(
    sprintf(paste("%d of %d bootstrap %s failed and %s left out (NA",
                  "columns): %s%s."),
            k, total, plural(total, "replicate"), plural(k, "is", "are"),
            paste0("replicate ", first$replicate, ", ", first$stage, " at ",
                   first$wave, ": ", first$reason, collapse = "; "),
            if (k > 3L) "; ..." else ""),
    class = "panelattrition_bootstrap_warning", failed = failures$replicate
  )
}

#' @rdname replicate_weights
#' @param x A `pa_replicates` object.
#' @param ... Unused.
#' @export
print.pa_replicates <- function(x, ...) {
  idx <- attr(x, "indices")
  cat(sprintf("<pa_replicates> %d of B = %d %s bootstrap replicates (seed %.0f)\n",
              length(idx), attr(x, "B"), boot_type_label(attr(x, "type")),
              attr(x, "seed")))
  n_t <- replicate_counts(x)
  for (wv in names(x)) {
    cat(sprintf("  %-6s %d respondents\n", wv, n_t[[wv]]))
  }
  if (length(attr(x, "failed"))) {
    cat(sprintf("  %d failed replicates\n", length(attr(x, "failed"))))
  }
  if (is_compact(x)) {
    cat("  stored compactly: each access re-runs the bootstrap\n")
  }
  invisible(x)
}

#' Combine chunks of bootstrap replicates
#'
#' Puts together replicate weights computed in pieces, for instance on
#' workers of the future package, each with
#' `boot_control(chunk = )`: the columns are ordered by replicate index, so
#' when the chunks cover `1:B` the result is [identical()] to
#' `replicate_weights(w, boot_control(B, seed = ))` in one process. See
#' the section "Splitting the work over processes" of [boot_control()].
#'
#' @param x A list of `pa_replicates` objects from [replicate_weights()]
#'   for the same weights, seed, type and `B`, with no replicate in two of
#'   them.
#' @return A `pa_replicates` object: compact when every chunk is (see
#'   section Storage of [replicate_weights()]), else dense.
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
#' parts <- lapply(split(1:30, rep(1:3, 10)), function(idx) {
#'   replicate_weights(w, boot_control(B = 30, seed = 99, chunk = idx))
#' })
#' reps <- combine_replicates(parts)
#' identical(reps, replicate_weights(w, boot_control(B = 30, seed = 99)))
combine_replicates <- function(x) {
  check_required("x")
  if (inherits(x, "pa_replicates")) x <- list(x)
  if (!is.list(x) || length(x) == 0L ||
      !all(vapply(x, inherits, logical(1), "pa_replicates"))) {
    arg_error("x", "a list of pa_replicates objects from replicate_weights()",
              x)
  }
  # compact chunks of the same weights make a compact whole; with any
  # dense chunk the whole is dense
  compact <- all(vapply(x, is_compact, logical(1)))
  if (!compact) {
    x <- lapply(x, function(p) {
      if (!is_compact(p)) return(p)
      structure(as.list(p), seed = attr(p, "seed"), type = attr(p, "type"),
                B = attr(p, "B"), indices = attr(p, "indices"),
                failed = attr(p, "failed"), failures = attr(p, "failures"),
                class = "pa_replicates")
    })
  }
  first <- x[[1L]]
  same <- function(f) {
    all(vapply(x, function(p) identical(f(p), f(first)), logical(1)))
  }
  checks <- list(
    seed = function(p) attr(p, "seed"), type = function(p) attr(p, "type"),
    B = function(p) attr(p, "B"), waves = names,
    people = replicate_ids,
    weights = function(p) if (compact) .subset2(p, "spec")
  )
  for (what in names(checks)) {
    if (!same(checks[[what]])) {
      pa_abort(
        sprintf(paste("The chunks in `x` must come from the same weights",
                      "and bootstrap settings, but their %s differ."),
                switch(what, seed = "seeds", type = "bootstrap types",
                       B = "numbers of replicates `B`", waves = "waves",
                       people = "respondents", weights = "weights")),
        class = "panelattrition_arg_error", argument = "x"
      )
    }
  }
  indices <- unlist(lapply(x, attr, "indices"), use.names = FALSE)
  if (anyDuplicated(indices)) {
    pa_abort(sprintf("Replicate %d is in more than one chunk of `x`.",
                     indices[anyDuplicated(indices)]),
             class = "panelattrition_arg_error", argument = "x")
  }
  ord <- order(indices)
  fl <- do.call(rbind, lapply(x, attr, "failures"))
  fl <- fl[order(fl$replicate), , drop = FALSE]
  failures <- new_failures(fl$replicate, fl$wave, fl$stage, fl$reason)
  if (compact) {
    return(new_compact_replicates(
      .subset2(first, "spec"), .subset2(first, "ids"),
      .subset2(first, "waves"), attr(first, "seed"), attr(first, "type"),
      attr(first, "B"), indices[ord], failures
    ))
  }
  out <- lapply(names(first), function(wv) {
    do.call(cbind, lapply(x, function(p) .subset2(p, wv)))[, ord, drop = FALSE]
  })
  names(out) <- names(first)
  new_replicates(out, attr(first, "seed"), attr(first, "type"),
                 attr(first, "B"), indices[ord], failures)
}

# Specification ------------------------------------------------------------

# Everything the C engine needs to re-run attrition_weights(), from the
# stages it kept: per wave the stage that produced the weights (none for
# the first wave without a frame) and, for stabilised weights with a
# numerator formula, the numerator model.
boot_spec <- function(w) {
  resp <- w$panel$response
  n_wave <- ncol(resp)
  control <- w$control %||% list(maxit = 100, epsilon = 1e-10)
  main <- vector("list", n_wave)
  for (st in w$stages) {
    chain <- stage_kind(st)$chain_boot(st, w)
    main[[st$wave_index]] <- stage_spec(st, chain, control)
  }
  use_numerator <- isTRUE(w$stabilize) && !is.null(w$numerator)
  numer <- vector("list", n_wave)
  if (use_numerator) {
    for (st in w$numerator_stages) {
      numer[[st$wave_index]] <- stage_spec(st, FALSE, control)
    }
  }
  storage.mode(resp) <- "integer"
  dimnames(resp) <- NULL
  trim_mode <- if (!is.null(w$trim)) 1L else if (!is.null(w$cap)) 2L else 0L
  list(
    d = as.double(w$base_weights), resp = resp,
    baseline = as.integer(w$baseline_rows - 1L),
    monotone = isTRUE(w$monotone), stabilize = isTRUE(w$stabilize),
    numerator = use_numerator, main = main, numer = numer,
    trim_mode = trim_mode,
    trim_value = as.double(w$trim %||% w$cap %||% 0),
    design = if (!is.null(w$panel$design)) boot_design_spec(w$panel$design)
  )
}

# One stage for the C engine (pa_boot_stage in src/boot.h): what every
# stage has, and what its kind says about itself (kind and calibration
# function codes, bounds, starting coefficients, fixed totals).
stage_spec <- function(st, chain, control) {
  x <- st$x
  # (no copy of the stage's matrix when there is nothing to change, so
  # that a compact pa_replicates shares it with the weights in memory)
  if (!is.null(dimnames(x))) dimnames(x) <- NULL
  if (!is.double(x)) storage.mode(x) <- "double"
  own <- stage_kind(st)$boot(st)
  list(
    kind = own$kind,
    chain = chain,
    risk = as.integer(st$risk - 1L),
    y = as.double(st$responded),
    x = x,
    maxit = as.double(control$maxit),
    epsilon = as.double(control$epsilon),
    calfun = own$calfun,
    bounds = own$bounds,
    start = own$start,
    totals = own$totals
  )
}

# The person weights r of some replicates, as the C engine draws them.
boot_draws <- function(n, control, indices = boot_indices(control)) {
  .Call(C_boot_draws, as.integer(n), control$seed,
        boot_type_code(control$type), as.integer(indices))
}

# Survey designs ----------------------------------------------------------------

#' Survey-package designs for one wave
#'
#' `as_svrepdesign()` makes a replicate-weight design
#' ([survey::svrepdesign()]) of a wave's respondents whose replicate
#' weights come from [replicate_weights()]: every response model or
#' calibration is re-fitted in every replicate, so any function of the
#' survey package (`svymean()`, `svyglm()`, `svyquantile()`, ...) gets a
#' standard error that counts the estimation of the weights.
#' `as_svydesign()` makes an ordinary design ([survey::svydesign()]) with
#' the attrition weights taken as known, for comparison.
#'
#' The replicate design has `type = "bootstrap"` with combined weights, so
#' survey's variance is \eqn{\sum_b (\hat\theta_b - \bar\theta)^2 / (B - 1)}
#' over the replicates (`scale = 1 / (B - 1)`), the usual bootstrap
#' variance; `mse = TRUE` centres on the full-sample estimate instead.
#' Failed replicates (see [replicate_weights()]) are left out. For a panel
#' with a sampling design the replicates resample PSUs within strata
#' (section Designs of [boot_control()]) and the design has
#' `type = "subbootstrap"`, as `survey::as.svrepdesign(type =
#' "subbootstrap")` makes it, with the same `scale` and `rscales`;
#' `as_svydesign()` carries the panel's strata, PSUs and fpc.
#'
#' Both designs hold the wave's rows of the panel's data, in the order of
#' the panel's people, with the attrition weights of that wave. Point
#' estimates equal those of [wave_means()]. The standard error of
#' `as_svydesign()` differs from `wave_means(se = "naive")` only by the
#' finite-sample factor: the design has the wave's `n_t` respondents as
#' clusters, `wave_means()` everyone who answered any wave (`n`), so the
#' variances differ by the factor \eqn{(n_t / (n_t - 1)) / (n / (n - 1))}.
#'
#' @param w A `pa_weights` object from [attrition_weights()].
#' @param wave The wave, one of the panel's wave labels.
#' @param B Number of bootstrap replicates (used for the default
#'   `control`).
#' @param control A [boot_control()] object.
#' @param replicates Optional replicate weights already computed by
#'   [replicate_weights()] (or [combine_replicates()]) for `w`; `control`
#'   is then not used.
#' @param mse Passed to [survey::svrepdesign()].
#' @param ... Passed to [survey::svrepdesign()] or [survey::svydesign()].
#' @return A `svyrep.design` or a `survey.design` object.
#' @references
#' Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*.
#' Wiley.
#'
#' Rubin, D. B. (1981). The Bayesian bootstrap. *The Annals of Statistics*,
#' 9, 130-134.
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
#' if (requireNamespace("survey", quietly = TRUE)) {
#'   rep_design <- as_svrepdesign(w, "T3", control = boot_control(200, seed = 3))
#'   print(survey::svymean(~wellbeing, rep_design, na.rm = TRUE))
#'   fixed <- as_svydesign(w, "T3")
#'   print(survey::svymean(~wellbeing, fixed, na.rm = TRUE))
#' }
as_svrepdesign <- function(w, wave, B = 1000, control = boot_control(B),
                           replicates = NULL, mse = FALSE, ...) {
  check_required("w", "wave")
  check_weights_object(w)
  need_survey("as_svrepdesign")
  check_wave(wave, w$panel$waves, "wave")
  check_flag(mse, "mse")
  if (is.null(replicates)) {
    check_boot_control(control)
    if (!missing(B) && !missing(control) && !identical(as.integer(B), control$B)) {
      pa_abort(sprintf("`B` (%s) and `control$B` (%d) differ; give one of them.",
                       format(B), control$B),
               class = "panelattrition_arg_error", argument = "B")
    }
    replicates <- replicate_weights(w, control, storage = "dense")
  } else if (!inherits(replicates, "pa_replicates") ||
             !identical(replicate_ids(replicates)[[wave]],
                        wave_respondent_ids(w, wave))) {
    arg_error("replicates", "replicate weights from replicate_weights() for `w`",
              replicates)
  }
  keep <- !(attr(replicates, "indices") %in% attr(replicates, "failed"))
  reps <- if (is_compact(replicates)) {
    # only the replicates used are made again
    regenerate_replicates(replicates, match(wave, names(replicates)),
                          which(keep), argument = "replicates")[[1L]]
  } else {
    replicates[[wave]][, keep, drop = FALSE]
  }
  if (ncol(reps) < 2L) {
    pa_abort("A replicate design needs at least 2 replicates that did not fail.",
             class = "panelattrition_bootstrap_error")
  }
  t <- match(wave, w$panel$waves)
  out <- survey::svrepdesign(
    data = wave_data(w, t), repweights = unname(reps),
    weights = unname(w$weights[w$panel$response[, t], t]),
    type = "bootstrap", combined.weights = TRUE, mse = mse, ...
  )
  if (identical(attr(replicates, "type"), "raowu")) {
    # what survey's as.svrepdesign(type = "subbootstrap") makes: the same
    # scale 1 / (B - 1) and rscales 1, which svrepdesign() gives only to
    # its own types
    out$type <- "subbootstrap"
  }
  out
}

#' @rdname as_svrepdesign
#' @export
as_svydesign <- function(w, wave, ...) {
  check_required("w", "wave")
  check_weights_object(w)
  need_survey("as_svydesign")
  check_wave(wave, w$panel$waves, "wave")
  t <- match(wave, w$panel$waves)
  ids <- stats::as.formula(paste0("~`", w$panel$id, "`"))
  wt <- unname(w$weights[w$panel$response[, t], t])
  design <- w$panel$design
  if (is.null(design)) {
    return(survey::svydesign(ids = ids, data = wave_data(w, t),
                             weights = wt, ...))
  }
  # the panel's strata, PSUs and fpc for the wave's respondents
  at <- which(w$panel$response[, t])
  survey::svydesign(
    ids = data.frame(psu = design$psu[at]),
    strata = data.frame(strata = design$strata[at]),
    fpc = if (!is.null(design$popsize)) data.frame(fpc = design$popsize[at]),
    data = wave_data(w, t), weights = wt, ...
  )
}

# With a design the bootstrap draws PSUs within strata, and a stratum with
# one PSU has nothing to draw from: under "fail" that is an error (as for
# the sandwich), under "remove" the stratum adds no variance, as in
# survey; "adjust" and "average" have no replicate counterpart and are
# refused rather than silently treated as "remove".
check_design_bootstrap <- function(w) {
  design <- w$panel$design
  if (is.null(design)) return(invisible())
  rule <- lonely_rule(design)
  if (rule == "fail") {
    check_lonely(design, seq_along(design$psu), "The bootstrap")
  }
  n_h <- psu_counts(design$strata, design$psu)
  lonely <- which(n_h == 1L)
  if (rule %in% c("adjust", "average") && length(lonely)) {
    labels <- design$strata_labels %||% seq_along(n_h)
    pa_abort(
      sprintf(paste("The bootstrap of a design cannot treat lonely PSUs",
                    "by \"%s\": %d %s only one PSU (e.g. stratum %s),",
                    "and resampling PSUs within a stratum has no",
                    "counterpart of that rule. Use lonely_psu = \"remove\"",
                    "in panel_data() (the stratum then adds no variance),",
                    "or se = \"sandwich\", which follows \"%s\"."),
              rule, length(lonely),
              if (length(lonely) == 1L) "stratum has" else "strata have",
              format_values(to_character(labels[lonely])), rule),
      class = c("panelattrition_lonely_psu_error",
                "panelattrition_design_error"),
      strata = labels[lonely]
    )
  }
  invisible()
}

# The panel's design for the C engine (pa_boot_design in src/boot.h): the
# PSUs renumbered (from 0) stratum by stratum, where each stratum's run of
# them starts, and the Rao-Wu-Yue factor lambda_h = sqrt(1 - f_h) of each
# stratum (1 without an fpc; 0 where the stratum adds no variance: a
# lonely PSU, or every PSU of the stratum in the sample).
boot_design_spec <- function(design) {
  strata <- design$strata
  psu <- design$psu
  first_row <- which(!duplicated(psu))
  ord <- first_row[order(strata[first_row], first_row)]
  code <- integer(max(psu))
  code[psu[ord]] <- seq_along(ord) - 1L
  n_strata <- max(strata)
  n_h <- tabulate(strata[ord], n_strata)
  lambda <- rep(1, n_strata)
  if (!is.null(design$popsize)) {
    pop <- design$popsize[ord][match(seq_len(n_strata), strata[ord])]
    left <- ifelse(is.finite(pop), (pop - n_h) / pop, 1)
    lambda <- ifelse(left < 1e-7, 0, sqrt(pmin(pmax(left, 0), 1)))
  }
  lambda[n_h < 2L] <- 0
  list(psu = code[psu], first = as.integer(c(0L, cumsum(n_h))),
       lambda = as.double(lambda))
}

# The person multipliers r of some replicates under the design bootstrap.
boot_design_draws <- function(design, control,
                              indices = boot_indices(control)) {
  .Call(C_boot_design_draws, boot_design_spec(design), control$seed,
        as.integer(indices))
}

need_survey <- function(fun) {
  if (!requireNamespace("survey", quietly = TRUE)) {
    pa_abort(sprintf("%s() needs the survey package: install.packages(\"survey\").",
                     fun),
             class = "panelattrition_dependency_error")
  }
}

# The wave's rows of the panel's data, in the order of the panel's people
# (the rows of the weights and replicate weights of that wave).
wave_data <- function(w, t) {
  rows <- panel_rows(w)
  at <- rows[rows$wave == t, , drop = FALSE]
  at <- at[order(at$person), , drop = FALSE]
  out <- w$panel$data[at$row, , drop = FALSE]
  rownames(out) <- NULL
  out
}

wave_respondent_ids <- function(w, wave) {
  resp <- w$panel$response
  rownames(resp)[resp[, wave]]
}
