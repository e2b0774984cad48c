# Estimate tables as objects: the covariance follows the rows through
# subsets and reorderings (base R and dplyr), combinations the package
# cannot vouch for are refused, and a table carries no microdata.

objects_setup <- function(n = 20000, seed = 1313) {
  s <- sim_panel(n = n, seed = seed)
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age, history = "y")
  list(w = w, truth = s$truth,
       m = wave_means(w, "y", by = "g"))
}

# contrasts of the T2 and T3 rows, looked up by wave and contrast
contrast_se <- function(cmp, waves = c("T2", "T3")) {
  keep <- as.character(cmp$wave) %in% waves
  stats::setNames(cmp$std_error[keep],
                  paste(cmp$wave[keep], cmp$contrast[keep]))
}

test_that("subsets keep a correct covariance, and contrasts land on the truth", {
  s <- objects_setup()
  m <- s$m
  full <- compare_groups(m)
  ref <- contrast_se(full)
  # base R: `[`, subset(), reordering
  sub1 <- m[m$wave != "T1", ]
  sub2 <- subset(m, wave != "T1")
  rev_rows <- m[rev(seq_len(nrow(m))), ][-(1:3), ]
  for (x in list(sub1, sub2)) {
    expect_equal(contrast_se(compare_groups(x)), ref, tolerance = 1e-12)
  }
  # reordering and dropping rows (here the T3 rows went first): the same
  # contrasts, whatever the order of the rows
  expect_equal(sort(unname(contrast_se(compare_groups(rev_rows), "T2"))),
               sort(unname(ref[grepl("^T2", names(ref))])), tolerance = 1e-12)
  k <- which(m$wave == "T3")
  expect_equal(vcov(m[rev(k), ]), vcov(m)[rev(k), rev(k)], tolerance = 0)
  # known truth: the T3 contrasts of the full population of the simulation
  # (every person's y3, answered or not) lie within 4 SE of the estimates
  tr <- s$truth
  mu <- tapply(tr$y3, tr$g, mean)
  t3 <- compare_groups(sub1)
  t3 <- t3[t3$wave == "T3", ]
  truth <- mu[t3$group] - mu[t3$versus]
  expect_true(all(abs(t3$estimate - truth) < 4 * t3$std_error))
})

test_that("dplyr verbs keep a correct covariance", {
  skip_if_not_installed("dplyr")
  s <- objects_setup(n = 3000, seed = 7)
  m <- s$m
  ref <- contrast_se(compare_groups(m))
  f <- dplyr::filter(m, wave != "T1")
  expect_s3_class(f, "pa_estimates")
  expect_equal(contrast_se(compare_groups(f)), ref, tolerance = 1e-12)
  # reordered rows: the pairs come in the new order (b - a may become
  # a - b), with the same standard errors within each wave
  a <- dplyr::arrange(f, dplyr::desc(estimate))
  by_wave <- function(se) {
    lapply(split(unname(se), substr(names(se), 1, 2)), sort)
  }
  expect_equal(by_wave(contrast_se(compare_groups(a))), by_wave(ref),
               tolerance = 1e-12)
  sl <- dplyr::slice(m, 4:9)
  expect_equal(contrast_se(compare_groups(sl)), ref, tolerance = 1e-12)
  k <- which(m$wave == "T3")
  expect_equal(vcov(dplyr::filter(m, wave == "T3")), vcov(m)[k, k])
  # a new column is harmless
  mu <- dplyr::mutate(f, label = paste(wave, g))
  expect_equal(contrast_se(compare_groups(mu)), ref, tolerance = 1e-12)
  # tipping_point() follows the rows too
  tp_all <- attr(tipping_point(m, delta = c(-2, 0, 2), null = 50), "tipping")
  tp_f <- attr(tipping_point(a, delta = c(-2, 0, 2), null = 50), "tipping")
  key <- function(t) paste(t$wave, t$g)
  expect_equal(tp_f$tipping_delta,
               tp_all$tipping_delta[match(key(tp_f), key(tp_all))],
               tolerance = 1e-10)
})

test_that("bound, duplicated and edited tables are refused", {
  s <- objects_setup(n = 3000, seed = 7)
  m <- s$m
  other <- wave_means(s$w, "y", by = "g", se = "naive")
  expect_table_error <- function(expr) {
    expect_error(expr, class = "panelattrition_table_error")
  }
  expect_table_error(compare_groups(rbind(m, m)))
  expect_table_error(vcov(rbind(m, m)))
  expect_table_error(compare_groups(m[c(1, 1:9), ]))
  # rows of another estimation: same keys, other standard errors
  mixed <- rbind(m[m$wave == "T1", ], other[other$wave != "T1", ])
  expect_table_error(compare_groups(mixed))
  # rows the first table never had
  z <- wave_means(s$w, "y", by = "g")
  z$outcome <- "z"
  expect_table_error(compare_groups(rbind(m, z)))
  # edited estimates or key columns
  e <- m
  e$estimate <- e$estimate + 1
  expect_table_error(compare_groups(e))
  e <- m
  e$wave[1] <- "T2"
  expect_table_error(compare_groups(e))
  expect_table_error(tipping_point(e, delta = 1, null = 50))
  e <- m
  e$wave <- NULL
  expect_table_error(vcov(e))
  skip_if_not_installed("dplyr")
  expect_table_error(compare_groups(dplyr::bind_rows(m, m)))
  expect_table_error(compare_groups(dplyr::bind_rows(m, z)))
  expect_table_error(compare_groups(dplyr::mutate(m, estimate = round(estimate))))
  expect_table_error(tipping_point(dplyr::bind_rows(m, m), delta = 1,
                                   null = 50))
})

test_that("compare_groups() checks `ref`", {
  s <- objects_setup(n = 3000, seed = 7)
  expect_error(compare_groups(s$m, ref = c("a", "b")),
               class = "panelattrition_arg_error", regexp = "`ref`")
  expect_error(compare_groups(s$m, ref = NA),
               class = "panelattrition_arg_error", regexp = "`ref`")
})

test_that("a table carries no microdata and stays small", {
  s <- sim_panel(n = 2e5, seed = 5)
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age)
  m <- wave_means(w, "y", by = "g")
  # no pa_weights, panel or data frame of answers anywhere inside
  walk <- function(x) {
    if (inherits(x, c("pa_weights", "pa_panel"))) return(FALSE)
    if (is.list(x) && !all(vapply(x, walk, logical(1)))) return(FALSE)
    at <- attributes(x)
    at <- at[setdiff(names(at), c("names", "row.names", "class"))]
    all(vapply(at, walk, logical(1)))
  }
  expect_true(walk(m))
  expect_null(attr(m, "weights"))
  # the per-person influence values (9 estimates x 2e5 people, 14.4 MB in
  # double) are what tipping_point() needs; the rest is small
  infl <- attr(m, "influence")
  size <- as.numeric(utils::object.size(m))
  expect_lt(size - as.numeric(utils::object.size(infl)), 5e6)
  expect_lt(size, as.numeric(utils::object.size(w)) / 4)
})

test_that("large allocations are refused before they are made", {
  s <- objects_setup(n = 600, seed = 7)
  w <- s$w
  # limits far below what these need: the guards answer, nothing is
  # allocated
  old <- options(panelattrition.max_bytes = 1e5)
  on.exit(options(old))
  e <- expect_error(wave_means(w, "y", by = "g"),
                    class = "panelattrition_size_error")
  expect_match(conditionMessage(e), "KB of memory")
  expect_identical(e$argument, "by")
  e <- expect_error(replicate_weights(w, boot_control(B = 1e7)),
                    class = "panelattrition_size_error")
  # 1e7 replicates x the answers in double precision
  expect_equal(e$bytes, 8 * 1e7 * sum(w$panel$response))
  expect_identical(e$argument, "control")
  panel <- w$panel
  lv <- sprintf("s%03d", 1:200)
  panel$data$st <- factor(sample(lv, nrow(panel$data), replace = TRUE),
                          levels = lv)
  w$panel <- panel
  e <- expect_error(transitions(w, "st", from = "T1", to = "T2"),
                    class = "panelattrition_size_error")
  expect_identical(e$argument, "status")
  # 200 x 200 cells for 600 people
  expect_equal(e$bytes, 8 * 600 * 200^2 * 3)
  options(panelattrition.max_bytes = -1)
  expect_error(wave_means(w, "y"), class = "panelattrition_option_error")
})
