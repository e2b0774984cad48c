# estimate_influence() against the chain rule written out stage by stage:
# every stage's influence values IF(theta_s) (N x p_s), each wave's weight
# derivatives L_ts (N x p_s), and IF(mu) = -D^{-1} (phi + sum_ts IF(theta_s)
# G_ts') with G_ts = (dphi/dw_t * w_t)' L_ts.

oracle_log_derivatives <- function(w, t) {
  n <- nrow(w$weights)
  lapply(all_stages(w), function(st) {
    out <- matrix(0, n, ncol(st$x))
    if (!stage_feeds_wave(w, st, t)) return(out)
    x <- st$x
    out[st$risk, ] <- if (isTRUE(st$numerator_model)) {
      x * (1 - st$fit$fitted)
    } else if (st$type == "calibrate") {
      l <- matrix(0, nrow(x), ncol(x))
      l[st$responded, ] <- x[st$responded, , drop = FALSE] * calfun_ratio(st)
      l
    } else {
      -x * (1 - st$fit$fitted)
    }
    out
  })
}

oracle_stage_influences <- function(w) {
  n <- nrow(w$weights)
  stages <- all_stages(w)
  infl <- vector("list", length(stages))
  for (k in seq_along(stages)) {
    st <- stages[[k]]
    u <- matrix(0, n, ncol(st$x))
    if (st$type == "calibrate") {
      g <- rep(0, length(st$risk))
      g[st$responded] <- st$fit$g
      u[st$risk, ] <- if (identical(st$target, "margins")) {
        st$x * (g * st$start) - matrix(st$totals / length(st$risk),
                                       length(st$risk), ncol(st$x),
                                       byrow = TRUE)
      } else {
        st$x * ((g - 1) * st$start)
      }
      if (identical(st$target, "previous")) {
        prev <- oracle_log_derivatives(w, st$wave_index - 1L)
        for (r in seq_len(k - 1L)) {
          dstart <- prev[[r]][st$risk, , drop = FALSE] * st$start
          u <- u + infl[[r]] %*% t(crossprod(st$x * (g - 1), dstart))
        }
      }
      infl[[k]] <- -t(solve(st$fit$jacobian, t(u)))
    } else {
      # a model's scores are x_i r_i (r_i = w_i (y_i - p_i), plus the
      # penalty's term for Firth)
      u[st$risk, ] <- st$x * st$fit$residuals
      infl[[k]] <- u %*% st$fit$vcov
    }
  }
  infl
}

oracle_influence <- function(w, phi, dmu, dphi_dw) {
  infl <- oracle_stage_influences(w)
  total <- phi
  for (t in seq_along(dphi_dw)) {
    if (is.null(dphi_dw[[t]])) next
    wt <- w$weights[, t]
    wt[is.na(wt)] <- 0
    ls <- oracle_log_derivatives(w, t)
    for (k in seq_along(ls)) {
      total <- total + infl[[k]] %*% t(crossprod(dphi_dw[[t]] * wt, ls[[k]]))
    }
  }
  -t(solve(dmu, t(total)))
}

test_that("estimate_influence() equals the stage-by-stage chain rule", {
  s <- sim_panel(n = 500, frame_extra = 300, seed = 4)
  panel <- panel_data(s$long, id = "id", wave = "wave", frame = s$frame,
                      baseline = c("g", "age"))
  p0 <- panel_data(s$long, id = "id", wave = "wave",
                   baseline = c("g", "age"))
  frame_x <- stats::model.matrix(~ g + age, s$frame)
  schemes <- list(
    list(p0, ~ g + age, history = "y"),
    list(p0, ~ g + age, history = "y", numerator = ~ g),
    list(p0, ~ g + age, monotone = FALSE, method = "firth"),
    list(p0, ~ g + age, history = "y", method = "calibrate",
         stabilize = FALSE),
    list(panel, ~ g + age, numerator = ~ g, monotone = FALSE),
    list(panel, ~ g + age, history = "y", method = "calibrate",
         calfun = "logit", bounds = c(0.2, 8), stabilize = FALSE),
    list(panel, ~ g + age, history = "y", method = "calibrate",
         margins = colSums(frame_x) * 1.2, stabilize = FALSE),
    list(panel, ~ g + age, method = "calibrate", calfun = "linear",
         monotone = FALSE, margins = colSums(frame_x) * 1.5),
    list(panel, ~ g + age, history = "y", method = "calibrate",
         calfun = "kott", stabilize = FALSE),
    list(panel, ~ g + age, method = "calibrate", calfun = "kott",
         monotone = FALSE, margins = colSums(frame_x) * 1.5)
  )
  set.seed(1)
  for (args in schemes) {
    w <- do.call(attrition_weights, args)
    n <- nrow(w$weights)
    q <- 4L
    resp <- w$panel$response
    phi <- matrix(stats::rnorm(n * q), n, q)
    dphi_dw <- lapply(seq_len(ncol(resp)), function(t) {
      matrix(stats::rnorm(n * q), n, q) * resp[, t]
    })
    dphi_dw[2L] <- list(NULL)  # a wave the estimates do not use
    dmu <- diag(q) + matrix(stats::runif(q * q, -0.1, 0.1), q, q)
    got <- estimate_influence(w, phi, dmu, dphi_dw)
    want <- oracle_influence(w, phi, dmu, dphi_dw)
    expect_equal(got, want, tolerance = 1e-12)
    expect_identical(estimate_influence(w, phi, dmu, dphi_dw, FALSE),
                     -t(solve(dmu, t(phi))))
    # a diagonal D, as for Hajek means
    d_diag <- diag(-stats::runif(q, 1, 2))
    expect_equal(estimate_influence(w, phi, d_diag, dphi_dw),
                 oracle_influence(w, phi, d_diag, dphi_dw), tolerance = 1e-12)
    expect_equal(estimate_influence(w, phi, d_diag, dphi_dw, FALSE),
                 -t(solve(d_diag, t(phi))), tolerance = 1e-15)
  }
})
