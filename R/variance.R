# Variances that count the estimated weights.
#
# Every estimate in the package solves sum_i phi_i(mu; w) = 0 over people
# i, with weights w that solve their own estimating equations: a score
# U_s(theta_s) for each response model s, or a calibration equation. Stacked
# together these form one M-estimator, and its sandwich variance is what the
# functions here compute, by the chain rule rather than by inverting the
# whole stacked Jacobian:
#
#   IF(theta_s)_i = -J_s^{-1} (U_si + sum_{r<s} C_sr IF(theta_r)_i)
#   IF(mu)_i      = -D^{-1}   (phi_i + sum_s G_s IF(theta_s)_i)
#
# with J_s = dU_s/dtheta_s, C_sr = dU_s/dtheta_r (only calibrations chained
# on the previous wave's weights depend on earlier stages), D = dphi/dmu and
# G_s = dphi/dtheta_s = sum_t (dphi/dw_t) (dw_t/dtheta_s). The variance is
# n/(n - 1) times the sum of squares of the (centred) influence values over
# people, the same finite-population-free form that survey uses for a
# one-stage cluster design with people as clusters.
#
# Weight derivatives are kept on the log scale: dw_ti/dtheta_s =
# w_ti * L_ts[i, ], with L_ts = -(1 - p) x for an inverse-probability stage,
# (F'/F)(x'lambda) x for a calibration, (1 - p) x for a numerator model of
# stabilised weights. Constant stabilising factors and trimming caps are
# treated as fixed.

# All stages that shape the weights, in the order they were solved.
all_stages <- function(w) c(w$stages, w$numerator_stages)

# Does wave t's weight depend on stage st?
stage_feeds_wave <- function(w, st, t) {
  if (w$monotone) st$wave_index <= t else st$wave_index == t
}

# d log w / d theta for the respondents at risk in a stage, one row per
# person at risk (rows of st$x).
stage_log_derivative <- function(st) {
  x <- st$x
  if (isTRUE(st$numerator_model)) {
    return(x * (1 - st$fit$fitted))
  }
  if (st$type == "calibrate") {
    ratio <- calfun_ratio(st)
    out <- matrix(0, nrow(x), ncol(x), dimnames = dimnames(x))
    out[st$responded, ] <- x[st$responded, , drop = FALSE] * ratio
    return(out)
  }
  -x * (1 - st$fit$fitted)
}

# F'(u) / F(u) at the solution, for the respondents of a calibration stage.
calfun_ratio <- function(st) {
  g <- st$fit$g
  switch(st$fit$calfun,
    raking = rep(1, length(g)),
    linear = 1 / g,
    logit = {
      lo <- st$fit$bounds[1]
      hi <- st$fit$bounds[2]
      a <- (hi - lo) / ((1 - lo) * (hi - 1))
      a * (g - lo) * (hi - g) / ((hi - lo) * g)
    }
  )
}

# For each stage, the N x p matrix L_ts of d log w_t / d theta_s over all
# people of the panel (zero rows for people the stage does not touch), for
# one wave t.
log_weight_derivatives <- function(w, t) {
  n <- nrow(w$weights)
  lapply(all_stages(w), function(st) {
    out <- matrix(0, n, ncol(st$x))
    if (stage_feeds_wave(w, st, t)) out[st$risk, ] <- stage_log_derivative(st)
    out
  })
}

# Influence values of every stage's parameters: a list of N x p_s matrices.
stage_influences <- function(w) {
  n <- nrow(w$weights)
  stages <- all_stages(w)
  infl <- vector("list", length(stages))
  for (k in seq_along(stages)) {
    st <- stages[[k]]
    p <- ncol(st$x)
    u <- matrix(0, n, p)
    if (st$type == "calibrate") {
      x <- st$x
      start <- st$start
      g <- rep(0, length(st$risk))
      g[st$responded] <- st$fit$g
      if (identical(st$target, "margins")) {
        u[st$risk, ] <- x * (g * start) -
          matrix(st$totals / length(st$risk), length(st$risk), p, byrow = TRUE)
      } else {
        u[st$risk, ] <- x * ((g - 1) * start)
      }
      # chained calibrations start from the previous wave's weights, which
      # depend on the earlier stages
      if (identical(st$target, "previous")) {
        prev <- log_weight_derivatives(w, st$wave_index - 1L)
        for (r in seq_len(k - 1L)) {
          if (!any(prev[[r]] != 0)) next
          dstart <- prev[[r]][st$risk, , drop = FALSE] * start
          c_sr <- crossprod(x * (g - 1), dstart)
          u <- u + infl[[r]] %*% t(c_sr)
        }
      }
      infl[[k]] <- -t(solve(st$fit$jacobian, t(u)))
    } else {
      u[st$risk, ] <- st$fit$scores
      # J = -information, so -J^{-1} U = I^{-1} U
      infl[[k]] <- u %*% st$fit$vcov
    }
  }
  infl
}

# The sandwich for estimating functions phi (N x q, people by estimates),
# D = dphi/dmu (q x q), and the derivatives of phi with respect to each
# wave's weights: dphi_dw[[t]] (N x q), or NULL for waves phi does not use.
# Returns the influence matrix (N x q).
estimate_influence <- function(w, phi, dmu, dphi_dw, sandwich = TRUE) {
  total <- phi
  if (sandwich) {
    infl <- stage_influences(w)
    for (t in seq_along(dphi_dw)) {
      e <- dphi_dw[[t]]
      if (is.null(e)) next
      wt <- w$weights[, t]
      wt[is.na(wt)] <- 0
      ls <- log_weight_derivatives(w, t)
      for (k in seq_along(ls)) {
        if (!any(ls[[k]] != 0)) next
        g_s <- crossprod(e * wt, ls[[k]])  # q x p_s
        total <- total + infl[[k]] %*% t(g_s)
      }
    }
  }
  -t(solve(dmu, t(total)))
}

# n/(n-1) times the centred cross-product of influence values.
influence_vcov <- function(infl) {
  n <- nrow(infl)
  centred <- sweep(infl, 2, colMeans(infl))
  crossprod(centred) * n / max(n - 1, 1)
}
