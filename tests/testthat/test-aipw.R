test_that("AIPW sandwich equals a numerically differentiated stacked sandwich", {
  s <- sim_panel(n = 500, seed = 3)
  panel <- panel_data(s$long, id = "id", wave = "wave", baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age, history = "y")
  est <- wave_means(w, "y", estimator = "aipw")
  st <- aipw_stack(s$truth, response_models(w)$estimate, est$estimate)
  expect_equal(colSums(st$psi(st$theta))[st$k], c(0, 0, 0), tolerance = 1e-8)
  v <- numeric_sandwich(st$psi, st$theta)
  expect_equal(unname(vcov(est)), unname(v[st$k, st$k]), tolerance = 1e-6)
})

dr_panel <- function(n = 20000, seed = 99) {
  set.seed(seed)
  x <- stats::rnorm(n)
  y1 <- stats::rnorm(n)
  y2 <- 1 + 2 * x + stats::rnorm(n)
  r2 <- stats::runif(n) < stats::plogis(-0.5 + 1.5 * x)
  ids <- sprintf("p%05d", seq_len(n))
  long <- rbind(data.frame(id = ids, wave = "T1", x = x, y = y1),
                data.frame(id = ids, wave = "T2", x = x, y = y2)[r2, ])
  panel_data(long, id = "id", wave = "wave", baseline = "x")
}

test_that("AIPW is right when either the response or the outcome model is", {
  panel <- dr_panel()
  truth <- 1
  w_right <- attrition_weights(panel, ~ x)
  w_wrong <- attrition_weights(panel, ~ 1)
  at2 <- function(e) e[e$wave == "T2", ]
  ipw_wrong <- at2(wave_means(w_wrong, "y"))
  expect_gt(abs(ipw_wrong$estimate - truth), 10 * ipw_wrong$std_error)
  ipw_right <- at2(wave_means(w_right, "y"))
  expect_lt(abs(ipw_right$estimate - truth), 3 * ipw_right$std_error)
  # wrong weights, right outcome model
  a1 <- at2(wave_means(w_wrong, "y", estimator = "aipw", outcome_model = ~ x))
  expect_lt(abs(a1$estimate - truth), 3 * a1$std_error)
  # right weights, wrong outcome model
  a2 <- at2(wave_means(w_right, "y", estimator = "aipw", outcome_model = ~ 1))
  expect_lt(abs(a2$estimate - truth), 3 * a2$std_error)
})

test_that("AIPW proportions stay in [0, 1] and groups must be baseline", {
  s <- sim_panel(n = 600, seed = 5)
  panel <- panel_data(s$long, id = "id", wave = "wave", baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age, history = "y")
  w$panel$data$hi <- w$panel$data$y > 57
  pr <- wave_means(w, "hi", estimator = "aipw", by = "g")
  expect_true(all(pr$estimate > 0 & pr$estimate < 1))
  expect_true(all(pr$conf_low >= 0 & pr$conf_high <= 1))
  w$panel$data$band <- ifelse(w$panel$data$y > 60, "high", "low")
  expect_error(wave_means(w, "y", estimator = "aipw", by = "band"),
               class = "panelattrition_arg_error", regexp = "baseline")
  w$panel$data$y[5] <- NA
  expect_error(wave_means(w, "y", estimator = "aipw"),
               class = "panelattrition_missing_error")
})

test_that("AIPW by group adds up to the estimate over everyone", {
  # The outcome regressions are fitted on everyone, so each group's terms
  # sum to the whole sample's: N_d mu = sum_g N_dg mu_g, and likewise the
  # influence values but for their centring (the groups share one chain of
  # regressions).
  s <- sim_panel(n = 600, seed = 21, frame_extra = 200)
  panels <- list(
    panel_data(s$long, id = "id", wave = "wave", baseline = c("g", "age")),
    panel_data(s$long, id = "id", wave = "wave", frame = s$frame,
               baseline = c("g", "age"))
  )
  for (panel in panels) {
    for (monotone in c(TRUE, FALSE)) {
      w <- attrition_weights(panel, ~ g + age, monotone = monotone,
                             history = if (monotone) "y")
      w$panel$data$hi <- w$panel$data$y > 57
      for (v in c("y", "hi")) {
        # with the per-person influence values tables do not keep
        all <- panelattrition:::with_people(
          wave_means(w, v, estimator = "aipw"))
        by_g <- panelattrition:::with_people(
          wave_means(w, v, estimator = "aipw", by = "g"))
        base <- seq_len(nrow(w$weights)) %in% w$baseline_rows
        g <- as.character(w$panel$baseline$g)
        n_dg <- tapply(w$base_weights[base], g[base], sum)
        n_d <- sum(n_dg)
        wave <- match(by_g$wave, w$panel$waves)
        for (t in unique(wave)) {
          k <- which(wave == t)
          k_all <- which(all$wave == w$panel$waves[t])
          nk <- n_dg[as.character(by_g$g[k])]
          mu <- all$estimate[k_all]
          expect_equal(sum(nk * by_g$estimate[k]) / n_d, mu, tolerance = 1e-10)
          infl_g <- attr(by_g, "influence")$values[, k, drop = FALSE]
          infl <- attr(all, "influence")$values[, k_all]
          # phi_g centres at mu_g, phi at mu: d (mu_g - mu) on the baseline
          mu_g <- by_g$estimate[k][match(g, as.character(by_g$g[k]))]
          shift <- ifelse(base, w$base_weights * (mu_g - mu), 0)
          expect_equal(drop(infl_g %*% nk + shift) / n_d, infl,
                       tolerance = 1e-9)
        }
      }
    }
  }
})
