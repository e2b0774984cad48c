# The bootstrap of a panel with a sampling design: Rao-Wu rescaling of
# PSUs within strata (m_h = n_h - 1 PSUs drawn with replacement, survey's
# "subbootstrap"; Rao-Wu-Yue rescaling with an fpc), every stage re-fitted
# per replicate.

api_panels <- function() {
  env <- environment()
  utils::data("api", package = "survey", envir = env)
  st <- apistrat
  st$wave <- "2000"
  c2 <- apiclus2
  c2$wave <- "2000"
  # one-wave panels with a frame in which everyone answered: the weights
  # are the base weights, no response model
  one_wave <- function(data, cols, ...) {
    pan <- panel_data(data, id = "snum", wave = "wave",
                      frame = data[c("snum", cols)], baseline = "stype", ...)
    attrition_weights(pan, ~ stype, base = "pw")
  }
  list(
    st = st, c2 = c2,
    st_fpc = one_wave(st, c("stype", "pw", "fpc"), strata = "stype",
                      fpc = "fpc"),
    st_nofpc = one_wave(st, c("stype", "pw"), strata = "stype"),
    c2_fpc = one_wave(c2, c("stype", "dnum", "pw", "fpc1"), cluster = "dnum",
                      fpc = "fpc1"),
    c2_nofpc = one_wave(c2, c("stype", "dnum", "pw"), cluster = "dnum")
  )
}

test_that("design draws: m_h = n_h - 1 PSUs per stratum, multipliers n_h / m_h per draw, summing to n_h", {
  skip_if_not_installed("survey")
  a <- api_panels()
  ctrl <- boot_control(B = 50, seed = 5)
  for (nm in c("st_fpc", "st_nofpc", "c2_fpc", "c2_nofpc")) {
    design <- a[[nm]]$panel$design
    r <- panelattrition:::boot_design_draws(design, ctrl)
    expect_identical(dim(r), c(length(design$psu), 50L))
    first <- !duplicated(design$psu)
    n_h <- tabulate(design$strata[first])
    pop <- if (is.null(design$popsize)) rep(Inf, length(n_h)) else
      design$popsize[first][match(seq_along(n_h), design$strata[first])]
    lambda <- sqrt(1 - n_h / pop)
    # everyone in a PSU has the PSU's multiplier
    expect_identical(r, r[match(design$psu, design$psu), ], label = nm)
    mult <- r[first, , drop = FALSE]
    s <- design$strata[first]
    lam <- lambda[s]
    # drawn counts: whole numbers adding up to n_h - 1 in each stratum
    counts <- (mult - (1 - lam)) / (lam * n_h[s] / (n_h[s] - 1))
    expect_equal(counts, round(counts), tolerance = 1e-10, label = nm)
    expect_identical(unname(rowsum(round(counts), s)),
                     matrix(as.double(n_h - 1), length(n_h), 50), label = nm)
    expect_equal(unname(rowsum(mult, s)), matrix(as.double(n_h), length(n_h), 50),
                 tolerance = 1e-12, label = nm)
  }
  # E[r] = 1: the mean multiplier over many replicates
  design <- a$c2_fpc$panel$design
  r <- panelattrition:::boot_design_draws(design, boot_control(B = 4000,
                                                               seed = 6))
  first <- !duplicated(design$psu)
  expect_lt(max(abs(rowMeans(r[first, ]) - 1)), 0.08)
})

test_that("design bootstrap variance of a weighted mean matches survey's linearisation and subbootstrap (apistrat, apiclus2)", {
  skip_if_not_installed("survey")
  a <- api_panels()
  ctrl <- boot_control(B = 2000, seed = 20261202, threads = 1)
  des <- list(
    st_fpc = survey::svydesign(ids = ~1, strata = ~stype, fpc = ~fpc,
                               weights = ~pw, data = a$st),
    st_nofpc = survey::svydesign(ids = ~1, strata = ~stype, weights = ~pw,
                                 data = a$st),
    c2_fpc = survey::svydesign(ids = ~dnum, fpc = ~fpc1, weights = ~pw,
                               data = a$c2),
    c2_nofpc = survey::svydesign(ids = ~dnum, weights = ~pw, data = a$c2)
  )
  for (nm in names(des)) {
    est <- wave_means(a[[nm]], "api00", se = "bootstrap", control = ctrl)
    lin <- unname(survey::SE(survey::svymean(~api00, des[[nm]])))
    expect_equal(est$estimate,
                 unname(coef(survey::svymean(~api00, des[[nm]]))),
                 tolerance = 1e-10)
    # B = 2000: the Monte Carlo SD of a bootstrap SE is about 1.6%
    expect_lt(abs(est$std_error / lin - 1), 0.08)
    if (!grepl("nofpc", nm)) next
    set.seed(1)
    sub <- survey::as.svrepdesign(des[[nm]], type = "subbootstrap",
                                  replicates = 2000)
    ref <- unname(survey::SE(survey::svymean(~api00, sub)))
    expect_lt(abs(est$std_error / ref - 1), 0.08)
  }
})

test_that("design bootstrap SEs agree with the design sandwich and cover the truth (clustered panel, IPW with history)", {
  s <- sim_households(seed = 20261202)
  expect_gte(s$n, 20000)
  pan <- panel_data(s$long, id = "id", wave = "wave",
                    baseline = c("x", "urban"), strata = "stratum",
                    cluster = "hh")
  w <- attrition_weights(pan, ~ x + urban, history = "y")
  m <- wave_means(w, "y")
  v <- vcov(m)
  k1 <- which(m$wave == "T1")
  k3 <- which(m$wave == "T3")
  se3 <- m$std_error[k3]
  se_ch <- sqrt(v[k1, k1] + v[k3, k3] - 2 * v[k1, k3])
  # the replicate estimates, by hand from the replicate weights
  reps <- replicate_weights(w, boot_control(B = 1000, seed = 31, threads = 2))
  expect_length(attr(reps, "failed"), 0L)
  rep_mean <- function(t) {
    d <- s$long[s$long$wave == t, ]
    y <- d$y[match(rownames(reps[[t]]), d$id)]
    colSums(reps[[t]] * y) / colSums(reps[[t]])
  }
  b1 <- rep_mean("T1")
  b3 <- rep_mean("T3")
  boot3 <- stats::sd(b3)
  boot_ch <- stats::sd(b3 - b1)
  # B = 1000: the Monte Carlo SD of a bootstrap SE is about 2.2%
  expect_lt(abs(boot3 / se3 - 1), 0.05)
  expect_lt(abs(boot_ch / se_ch - 1), 0.05)
  expect_lt(abs(m$estimate[k3] - s$truth_y3), 4 * boot3)
  expect_lt(abs(m$estimate[k3] - m$estimate[k1] - s$truth_change),
            4 * boot_ch)
})

test_that("design replicates are identical across threads and chunks, and reproducible", {
  s <- sim_design_panel(n = 300, seed = 4)
  pan <- panel_data(s$long, id = "id", wave = "wave",
                    baseline = c("g", "age"), strata = "str",
                    cluster = "hh", fpc = "pop")
  w <- attrition_weights(pan, ~ g + age, history = "y")
  one <- replicate_weights(w, boot_control(B = 24, seed = 77, threads = 1),
                           storage = "dense")
  two <- replicate_weights(w, boot_control(B = 24, seed = 77, threads = 2),
                           storage = "dense")
  expect_identical(one, two)
  expect_identical(attr(one, "type"), "raowu")
  parts <- lapply(list(c(3, 1, 20), setdiff(1:24, c(3, 1, 20))), function(i) {
    replicate_weights(w, boot_control(B = 24, seed = 77, chunk = i),
                      storage = "dense")
  })
  expect_identical(combine_replicates(parts), one)
  expect_identical(
    replicate_weights(w, boot_control(B = 24, seed = 77, threads = 1),
                      storage = "dense"), one)
  expect_false(identical(
    replicate_weights(w, boot_control(B = 24, seed = 78, threads = 1),
                      storage = "dense"), one))
  # the replicate's person multipliers are the design draws: people of a
  # household share them, and a respondent's replicate weight at T1 (no
  # model) is its base weight times that multiplier
  r <- panelattrition:::boot_design_draws(pan$design,
                                          boot_control(B = 24, seed = 77))
  t1 <- rownames(one$T1)
  expect_equal(unname(one$T1),
               r[match(t1, rownames(pan$response)), ] *
                 w$base_weights[match(t1, rownames(pan$response))],
               tolerance = 1e-14)
})

test_that("as_svrepdesign() carries the design replicates as survey's subbootstrap", {
  skip_if_not_installed("survey")
  s <- sim_design_panel(n = 300, seed = 4)
  pan <- panel_data(s$long, id = "id", wave = "wave",
                    baseline = c("g", "age"), strata = "str",
                    cluster = "hh", fpc = "pop")
  w <- attrition_weights(pan, ~ g + age, history = "y")
  ctrl <- boot_control(B = 60, seed = 9, threads = 1)
  rd <- as_svrepdesign(w, "T3", control = ctrl)
  expect_identical(rd$type, "subbootstrap")
  expect_equal(rd$scale, 1 / 59)
  expect_equal(rd$rscales, rep(1, 60))
  est <- wave_means(w, "y", se = "bootstrap", control = ctrl)
  ref <- survey::svymean(~y, rd, na.rm = TRUE)
  k <- est$wave == "T3"
  expect_equal(unname(coef(ref)), est$estimate[k], tolerance = 1e-10)
  expect_equal(unname(survey::SE(ref)), est$std_error[k], tolerance = 1e-8)
})

test_that("lonely PSUs: removed strata add no variance, other rules are refused", {
  s <- sim_design_panel(n = 300, seed = 4)
  long <- s$long
  lone <- long$id %in% s$truth$id[s$hh == 1]
  long$str[lone] <- 6L
  make <- function(rule) {
    pan <- panel_data(long, id = "id", wave = "wave",
                      baseline = c("g", "age"), strata = "str",
                      cluster = "hh", lonely_psu = rule)
    attrition_weights(pan, ~ g + age)
  }
  w <- make("remove")
  r <- panelattrition:::boot_design_draws(w$panel$design,
                                          boot_control(B = 20, seed = 2))
  in_lone <- w$panel$design$strata ==
    match(6L, w$panel$design$strata_labels)
  expect_true(all(r[in_lone, ] == 1))
  expect_false(all(r[!in_lone, ] == 1))
  expect_s3_class(replicate_weights(w, boot_control(B = 5, seed = 1)),
                  "pa_replicates")
  for (rule in c("adjust", "average")) {
    err <- tryCatch(wave_means(make(rule), "y", se = "bootstrap",
                               control = boot_control(B = 5, seed = 1)),
                    error = identity)
    expect_s3_class(err, "panelattrition_lonely_psu_error")
    expect_match(conditionMessage(err), rule, fixed = TRUE)
  }
  # "fail" set after the panel was made (through survey's option)
  w_opt <- make("remove")
  w_opt$panel$design$lonely_psu <- NULL
  old <- options(survey.lonely.psu = "fail")
  on.exit(options(old))
  expect_error(replicate_weights(w_opt, boot_control(B = 5, seed = 1)),
               class = "panelattrition_lonely_psu_error")
})

test_that("a design given as a survey.design2 resamples as the same design given as columns", {
  skip_if_not_installed("survey")
  a <- api_panels()
  des <- survey::svydesign(ids = ~dnum, fpc = ~fpc1, weights = ~pw,
                           data = a$c2)
  pan <- panel_data(a$c2, id = "snum", wave = "wave",
                    frame = a$c2[c("snum", "stype")], baseline = "stype",
                    design = des)
  w <- attrition_weights(pan, ~ stype)
  ctrl <- boot_control(B = 30, seed = 8, threads = 1)
  from_design <- replicate_weights(w, ctrl)
  from_columns <- replicate_weights(a$c2_fpc, ctrl)
  expect_identical(attr(from_design, "type"), "raowu")
  expect_equal(unclass(from_design), unclass(from_columns), tolerance = 1e-12)
})
