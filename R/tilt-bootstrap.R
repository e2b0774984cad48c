# Bootstrap standard errors of tilt_sensitivity() (issue 16): in each
# replicate the person multipliers m of the package's bootstrap (the C
# streams of boot_draws(), or the Rao-Wu draws of a design) multiply the
# base weights, every stage of the weights is refitted with them in R
# (fit_weights(), as attrition_weights() fitted them), the tilted stages
# are fitted on those refitted stages at every alpha, and the rows are
# estimated as the point estimate is.

# The weights `w` refitted with base weights d * m: the same formula,
# method, history, calibration targets, frame (stage 0), margins,
# stabilising and numerator models, every stage starting from the
# replicate's weights. Trimming is left out: the tilted weights are not
# trimmed (tilted_weights()), and the anchor comes from the C replicates,
# which trim as replicate_weights() does.
refit_weights <- function(w, m) {
  fit_weights(weighting_context(
    w$panel, w$covariates, w$base_weights * m, w$formula, w$numerator,
    w$method, w$monotone, w$history, w$history_lags %||% 1, w$base,
    w$margins, w$calfun %||% "raking", w$bounds, w$stabilize, NULL, NULL,
    w$na_action, w$control, call = w$call
  ))
}

# The person multipliers of the replicates of `boot`: the Rao-Wu draws of
# PSUs within strata with a design, else boot_draws() (the same streams as
# replicate_weights()).
tilt_boot_draws <- function(w, boot) {
  if (!is.null(w$panel$design)) {
    boot_design_draws(w$panel$design, boot)
  } else {
    boot_draws(nrow(w$weights), boot)
  }
}

# Hajek estimates of the cells with a people x waves matrix of weights.
tilt_cell_estimates <- function(weights, cells, rows) {
  vapply(seq_len(nrow(cells)), function(k) {
    mem <- cells$members[[k]]
    if (!length(mem)) return(NA_real_)
    wt <- weights[cbind(rows$person[mem], rows$wave[mem])]
    sum(wt * cells$values[[k]]) / sum(wt)
  }, numeric(1))
}

# The C replicate weights of replicate column j as a people x waves matrix.
replicate_matrix <- function(reps, resp, j) {
  out <- matrix(NA_real_, nrow(resp), ncol(resp))
  for (t in seq_len(ncol(resp))) out[resp[, t], t] <- reps[[t]][, j]
  out
}

# Bootstrap replicates of every row of tilt_sensitivity() at every alpha:
# a list (one per alpha) of replicates x rows matrices, NA rows for failed
# replicates, and the failures. The anchored estimate of replicate b is
# own_b + tilted_b(alpha) - tilted_b(0), with own_b from the C replicate
# weights of the input weights (exactly the replicates of wave_means(se =
# "bootstrap")) and the tilted ones from the R refit; unanchored it is
# tilted_b(alpha).
tilt_bootstrap <- function(w, spec, ev, alpha, boot) {
  cells <- ev$cells
  rows <- spec$rows
  contrast <- ev$contrast
  indices <- boot_indices(boot)
  n_rep <- length(indices)
  n_row <- nrow(ev$key)
  n <- nrow(w$weights)
  alpha_of <- function(a) if (is.null(spec$mult)) rep(a, n) else a * spec$mult
  reps <- withCallingHandlers(
    replicate_weights(w, boot, storage = "dense"),
    panelattrition_bootstrap_warning = function(cnd) invokeRestart("muffleWarning")
  )
  fail_c <- attr(reps, "failures")
  draws <- tilt_boot_draws(w, boot)
  out <- lapply(alpha, function(a) matrix(NA_real_, n_rep, n_row))
  failures <- list()
  resp <- w$panel$response
  zero_at <- match(0, alpha)
  bar <- progress_start("Bootstrap replicates of the tilted weights", n_rep)
  for (j in seq_len(n_rep)) {
    progress_step(bar)
    b <- indices[j]
    if (b %in% fail_c$replicate) next
    # people not drawn (multiplier 0: the multinomial bootstrap, Rao-Wu
    # without an fpc) count 1e-10 in the fits, since calibration needs
    # positive start weights (a relative change of the fitted coefficients
    # of about 1e-10), and nothing in the estimates, as in the C engine
    m <- draws[, j]
    absent <- m == 0
    m[absent] <- 1e-10
    res <- tryCatch({
      wb <- refit_weights(w, m)
      lapply(alpha, function(a) {
        tw <- tilted_weights(wb, spec$y_mat, alpha_of(a), spec$control,
                             spec$outcome)$weights
        tw[absent, ] <- 0
        tilt_cell_estimates(tw, cells, rows)
      })
    }, panelattrition_error = function(e) e)
    if (inherits(res, "condition")) {
      failures[[length(failures) + 1L]] <- tilt_boot_failure(w, b, res)
      next
    }
    own <- tilt_cell_estimates(replicate_matrix(reps, resp, j), cells, rows)
    for (k in seq_along(alpha)) {
      est <- if (isFALSE(spec$anchor)) res[[k]] else
        own + res[[k]] - res[[zero_at]]
      if (!is.null(contrast)) est <- drop(est %*% contrast)
      out[[k]][j, ] <- est
    }
  }
  progress_end(bar)
  fl <- rbind(fail_c, do.call(rbind, failures))
  fl <- fl[order(fl$replicate), , drop = FALSE]
  failures <- new_failures(fl$replicate, fl$wave, fl$stage, fl$reason)
  if (nrow(failures)) warn_failures(failures, n_rep)
  list(replicates = out, failures = failures, indices = indices)
}

# A failed replicate of the tilted bootstrap: where and why, from the
# condition of the stage that could not be fitted.
tilt_boot_failure <- function(w, b, cnd) {
  label <- cnd$stage %||% cnd$wave %||% "a stage"
  tilted <- inherits(cnd, "panelattrition_nonfinite_error")
  new_failures(
    b, label,
    if (tilted) "tilted response model" else "response model",
    if (tilted) "no convergence of a tilted stage" else
      conditionMessage(cnd)
  )
}

# Standard errors (SD of the replicates that did not fail) and percentile
# intervals, as wave_means(se = "bootstrap") gives them: rows x alpha.
tilt_boot_summary <- function(bs, level) {
  lo <- (1 - level) / 2
  per <- lapply(bs$replicates, function(est) {
    ok <- stats::complete.cases(est[, colSums(is.na(est)) < nrow(est),
                                    drop = FALSE])
    est <- est[ok, , drop = FALSE]
    se <- if (nrow(est) > 1L) apply(est, 2, stats::sd) else
      rep(NA_real_, ncol(est))
    lims <- apply(est, 2, function(v) {
      if (all(is.na(v))) return(c(NA_real_, NA_real_))
      stats::quantile(v, c(lo, 1 - lo), names = FALSE, na.rm = TRUE)
    })
    list(se = se, low = lims[1, ], high = lims[2, ])
  })
  list(se = unlist(lapply(per, `[[`, "se")),
       low = unlist(lapply(per, `[[`, "low")),
       high = unlist(lapply(per, `[[`, "high")))
}
