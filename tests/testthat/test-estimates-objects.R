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
  size_at <- function(n) {
    s <- sim_panel(n = n, seed = 5)
    panel <- panel_data(s$long, id = "id", wave = "wave",
                        baseline = c("g", "age"))
    w <- attrition_weights(panel, ~ g + age)
    m <- wave_means(w, "y", by = "g")
    list(m = m, size = as.numeric(utils::object.size(m)),
         w_size = as.numeric(utils::object.size(w)))
  }
  big <- size_at(2e5)
  m <- big$m
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
  # nor per-person values: 9 estimates of 2e5 people fit in well under
  # 1 MB (the influence values alone were 14.4 MB), and the size does not
  # grow with the number of people
  expect_null(attr(m, "influence"))
  expect_lt(big$size, 1e6)
  expect_lt(big$size, big$w_size / 100)
  small <- size_at(1e5)
  expect_lt(big$size / small$size, 1.2)
})

test_that("a GEE fit keeps nothing per person unless asked, and stays small", {
  fit_at <- function(n, ...) {
    s <- sim_panel(n = n, seed = 5)
    panel <- panel_data(s$long, id = "id", wave = "wave",
                        baseline = c("g", "age"))
    w <- attrition_weights(panel, ~ g + age)
    ipw_gee(y ~ g + wave, w, ...)
  }
  size <- function(x) as.numeric(utils::object.size(x))
  big <- fit_at(2e4)
  small <- fit_at(2e3)
  expect_null(big$influence)
  expect_null(big$fitted)
  expect_null(big$linear_predictor)
  # 20,000 people x 3 waves: the size of 2,000 people's fit, well under
  # 100 KB (the influence values alone would be 20,000 x 4 doubles, 640 KB)
  expect_lt(size(big), 1e5)
  expect_lt(size(big) / size(small), 1.01)
  # what `keep` adds: people x coefficients influence values, whose
  # cross-product is the variance (no design), and the fitted values
  full <- fit_at(2e4, keep = c("influence", "fitted"))
  expect_identical(coef(full), coef(big))
  expect_identical(vcov(full), vcov(big))
  expect_identical(dim(full$influence), c(20000L, length(coef(big))))
  expect_equal(crossprod(full$influence), vcov(big), tolerance = 1e-10)
  # (one fitted value per row of the panel's data: everyone at T1, the
  # respondents after)
  expect_length(full$linear_predictor, length(full$fitted))
  expect_gt(length(full$fitted), 20000L)
  expect_gt(size(full), 10 * size(big))
})

# tipping_point() as it was when tables kept every person's influence
# values and base weights (numbers of the previous implementation, to 12
# significant digits): the lean tables must give the same numbers.
old_tipping <- list(
  means_by = list(
    estimate = c(54.1948122358, 54.1948122358, 54.1948122358, 58.6933953844,
    58.6933953844, 58.6933953844, 54.2612544103, 54.2612544103,
    54.2612544103, 54.5219797924, 55.424964867, 56.3279499417,
    59.4162887874, 60.2502656213, 61.0842424553, 55.9134832789,
    56.5142158796, 57.1149484803, 55.7739747979, 57.1620344994,
    58.5500942009, 60.8676391044, 62.0877163245, 63.3077935445,
    57.1968649893, 58.4203082127, 59.6437514362),
    std_error = c(0.632898688934, 0.632898688934, 0.632898688934, 0.618186338237,
    0.618186338237, 0.618186338237, 0.641738414247, 0.641738414247,
    0.641738414247, 1.00683589996, 1.00046273274, 0.997764767071,
    0.831845092681, 0.826002713778, 0.82468980047, 0.825805291012,
    0.820098778895, 0.818129255547, 1.52474656771, 1.51720137339,
    1.51171913089, 1.00426380342, 0.996261956999, 0.991910874875,
    1.09343075294, 1.08383908577, 1.07740079362),
    tipping_delta = c(NA, NA, NA, -0.941244498901,
    -12.5909147771, -5.04123091618, -3.11518949381, -11.6184716964,
    -5.59128228785)
  ),
  cmp_gd = list(
    estimate = c(4.4985831486, 4.4985831486, 4.4985831486, 0.06644217454,
    0.06644217454, 0.06644217454, 3.99132392033, 4.82530075431,
    5.65927758828, 1.38961731291, 1.08925101255, 0.788884712179,
    3.70560460494, 4.92568182502, 6.1457590451, 1.869995325,
    1.25827371328, 0.646552101561),
    std_error = c(0.884711873571, 0.884711873571, 0.884711873571, 0.901326213297,
    0.901326213297, 0.901326213297, 1.3947180283, 1.39123287813,
    1.39044526062, 1.37537370077, 1.37613123102, 1.37744799321,
    1.95646096796, 1.95185318402, 1.94912272097, 2.06907315798,
    2.07122632956, 2.07379736761),
    tipping_delta = c(NA, NA, -4.96874182892, -10.7390175562,
    -1.79039030767, -9.11752644654)
  ),
  naive = list(
    estimate = c(55.6739019222, 55.6739019222, 55.6739019222, 56.9649456227,
    57.3536956227, 57.7424456227, 58.5376730267, 59.1764230267,
    59.8151730267),
    std_error = c(0.372061767396, 0.372061767396, 0.372061767396, 0.559946965735,
    0.559681340932, 0.559946965735, 0.811821387848, 0.81164349885,
    0.811821387848),
    tipping_delta = c(NA, -6.054522502, -6.53843135288)
  ),
  change = list(
    estimate = c(2.50833645691, 3.20236630766, 3.89639615841, 2.47120002258,
    3.08123863262, 3.69127724266, 3.29234605341, 3.90406766513,
    4.51578927686),
    std_error = c(0.843593807031, 0.841771037043, 0.84088830962, 0.622422956414,
    0.621498213734, 0.622052266161, 0.658486342416, 0.657405699195,
    0.657649208916),
    tipping_delta = c(-2.22195615963, -3.03060817188, -4.23249685936)
  ),
  design = list(
    estimate = c(54.858978811, 54.858978811, 54.858978811, 58.995237855,
    58.995237855, 58.995237855, 53.6631363877, 53.6631363877,
    53.6631363877, 57.1233776068, 57.5220704173, 57.9207632278,
    59.6195643759, 60.0000675206, 60.3805706652, 55.2449441199,
    55.5529151344, 55.8608861489, 59.4040643807, 60.0053715702,
    60.6066787598, 61.0425253293, 61.6525882223, 62.2626511154,
    55.2031789015, 55.8589760029, 56.5147731044),
    std_error = c(0.498449017678, 0.498449017678, 0.498449017678, 0.559327370511,
    0.559327370511, 0.559327370511, 0.554372469994, 0.554372469994,
    0.554372469994, 0.752077512831, 0.749366790279, 0.747517723645,
    0.751281886301, 0.749515165953, 0.748490195508, 0.675294672108,
    0.671202055663, 0.668117511764, 1.3467303852, 1.34307520434,
    1.33994099712, 1.0662218019, 1.06442813392, 1.06320902516,
    1.17991393037, 1.17611601442, 1.17289465147),
    tipping_delta = c(NA, NA, NA, -6.32584875159,
    NA, -1.79534796584, -8.32415054616, NA,
    -1.30981976139)
  ),
  designcmp = list(
    estimate = c(4.13625904401, 4.13625904401, 4.13625904401, -1.19584242327,
    -1.19584242327, -1.19584242327, -5.33210146728, -5.33210146728,
    -5.33210146728, 2.49618676907, 2.47799710327, 2.45980743746,
    -1.87843348693, -1.96915528289, -2.05987707886, -4.374620256,
    -4.44715238616, -4.51968451632, 1.63846094856, 1.64721665209,
    1.65597235563, -4.20088547921, -4.1463955673, -4.0919056554,
    -5.83934642776, -5.7936122194, -5.74787801103),
    std_error = c(0.753711601805, 0.753711601805, 0.753711601805, 0.724111922454,
    0.724111922454, 0.724111922454, 0.786101829636, 0.786101829636,
    0.786101829636, 1.1126527139, 1.11156748601, 1.11144686667,
    1.0278115501, 1.0251826321, 1.02372864355, 1.0867562002,
    1.082238471, 1.07876279628, 1.8391546236, 1.83787479131,
    1.83724902539, 1.99269848779, 1.98749365889, 1.98293075925,
    1.73857046384, 1.7340541455, 1.73035426858),
    tipping_delta = c(NA, NA, NA, NA,
    0.426234367339, NA, NA, 5.20430850363,
    NA)
  ),
  prop = list(
    estimate = c(0.417910447761, 0.417910447761, 0.417910447761, 0.602316602317,
    0.602316602317, 0.602316602317, 0.399267399267, 0.399267399267,
    0.399267399267, 0.413085524839, 0.458215280267, 0.503369563018,
    0.597205420767, 0.63749635734, 0.674229991835, 0.444457173653,
    0.471962022016, 0.499538651969, 0.443096969895, 0.514667257364,
    0.582868744698, 0.633178011498, 0.697816395391, 0.753084738592,
    0.476843458966, 0.542248908398, 0.607528066994),
    std_error = c(0.0301467655388, 0.0301467655388, 0.0301467655388, 0.0304300642443,
    0.0304300642443, 0.0304300642443, 0.0296594303992, 0.0296594303992,
    0.0296594303992, 0.0391934080513, 0.0389123490661, 0.0391147749225,
    0.0389286798763, 0.0384472471599, 0.0384257099447, 0.0353540062562,
    0.035101672865, 0.0352066249639, 0.0539944155743, 0.0535628394369,
    0.0535344866432, 0.0477274477264, 0.0470871087146, 0.0469724477249,
    0.0469282882575, 0.0462647251698, 0.0460400297877),
    tipping_delta = c(NA, NA, NA, 0.922911468491,
    -3.54620572067, 1.01718958319, -0.205179536773, -3.01955399537,
    -0.638478961144)
  ),
  propcmp = list(
    estimate = c(0.184406154555, 0.184406154555, 0.184406154555, -0.0186430484938,
    -0.0186430484938, -0.0186430484938, -0.203049203049, -0.203049203049,
    -0.203049203049, 0.184119895928, 0.179281077072, 0.170860428817,
    0.0313716488148, 0.0137467417489, -0.00383091104847, -0.152748247114,
    -0.165534335324, -0.174691339865, 0.190081041604, 0.183149138027,
    0.170215993893, 0.033746489071, 0.0275816510338, 0.0246593222958,
    -0.156334552533, -0.155567486993, -0.145556671597, 4.4985831486,
    4.4985831486, 4.4985831486, 0.06644217454, 0.06644217454,
    0.06644217454, -4.43214097406, -4.43214097406, -4.43214097406,
    4.85980487463, 4.82530075431, 4.79079663398, 1.24037724949,
    1.08925101255, 0.938124775598, -3.61942762514, -3.73604974176,
    -3.85267185838, 5.00967306573, 4.92568182502, 4.84169058431,
    1.34058195231, 1.25827371328, 1.17596547426, -3.66909111342,
    -3.66740811174, -3.66572511005),
    std_error = c(0.0428347555422, 0.0428347555422, 0.0428347555422, 0.0422907706723,
    0.0422907706723, 0.0422907706723, 0.0424931832359, 0.0424931832359,
    0.0424931832359, 0.0576575377048, 0.0571014719814, 0.0573063792185,
    0.0549435175343, 0.0544105188011, 0.0545678682098, 0.0542058644794,
    0.0536643636517, 0.0537798434256, 0.075405011232, 0.0747624810187,
    0.0748790388939, 0.0767135570859, 0.0759444142685, 0.0759044245396,
    0.0704290639641, 0.0696392003647, 0.0696382874295, 0.884711873571,
    0.884711873571, 0.884711873571, 0.901326213297, 0.901326213297,
    0.901326213297, 0.891056979717, 0.891056979717, 0.891056979717,
    1.39458371269, 1.39123287813, 1.38921710887, 1.37941489481,
    1.37613123102, 1.37407451178, 1.22206321421, 1.21891257214,
    1.21715993936, 1.95689076029, 1.95185318402, 1.94768227857,
    2.07660888777, 2.07122632956, 2.06663530531, 1.58984646528,
    1.58418498315, 1.57963726094),
    tipping_delta = c(NA, NA, NA, 6.02261072591,
    NA, -3.57147568114, 2.28111810033, NA,
    1.58547939218, NA, NA, NA,
    NA, NA, NA, NA,
    NA, NA)
  )
)

test_that("tipping points from lean tables equal those from per-person values", {
  s <- sim_panel(n = 800, seed = 11)
  s$long$hi <- s$long$y > 57
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age, history = "y")
  d <- sim_design_panel(n = 900, seed = 7)
  pd <- panel_data(d$long, id = "id", wave = "wave",
                   baseline = c("g", "age"), strata = "str", cluster = "hh",
                   fpc = "pop")
  wd <- attrition_weights(pd, ~ g + age, history = "y")
  m <- wave_means(w, "y", by = "g")
  md <- wave_means(wd, "y", by = "g")
  mp <- suppressMessages(wave_means(w, c("hi", "y"), by = "g"))
  got <- list(
    means_by = tipping_point(m, delta = c(-2, 0, 2), null = 55),
    cmp_gd = tipping_point(compare_groups(m, ref = "a"), delta = c(-2, 0, 2),
                           group_delta = c(b = 1, c = -0.5)),
    naive = tipping_point(wave_means(w, "y", se = "naive"),
                          delta = c(-1, 0, 1), null = 55),
    change = tipping_point(panel_change(w, "y", from = "T1", to = "T3",
                                        by = "g"), delta = c(-1, 0, 1)),
    design = tipping_point(md, delta = c(-1, 0, 1), null = 55),
    designcmp = tipping_point(compare_groups(md), delta = c(-1, 0, 1)),
    prop = tipping_point(mp[mp$outcome == "hi", ], delta = c(-1, 0, 1),
                         null = 0.5, w = w),
    propcmp = tipping_point(compare_groups(mp), delta = c(-1, 0, 1), w = w)
  )
  for (nm in names(got)) {
    tp <- got[[nm]]
    old <- old_tipping[[nm]]
    expect_equal(tp$estimate, old$estimate, tolerance = 1e-10, info = nm)
    expect_equal(tp$std_error, old$std_error, tolerance = 1e-10, info = nm)
    expect_equal(attr(tp, "tipping")$tipping_delta, old$tipping_delta,
                 tolerance = 1e-10, info = nm)
  }

  # proportions need the weights: without them, or with others, a classed
  # error naming `w`
  hi <- mp[mp$outcome == "hi", ]
  e <- expect_error(tipping_point(hi, delta = 1, null = 0.5),
                    class = "panelattrition_arg_error")
  expect_identical(e$argument, "w")
  expect_match(conditionMessage(e), "w = ", fixed = TRUE)
  e <- expect_error(tipping_point(hi, delta = 1, null = 0.5, w = wd),
                    class = "panelattrition_arg_error")
  expect_identical(e$argument, "w")
  w_other <- w
  k <- which(!is.na(w_other$weights[, 3]))[1]
  w_other$weights[k, 3] <- w_other$weights[k, 3] * 1.01
  e <- expect_error(tipping_point(hi, delta = 1, null = 0.5, w = w_other),
                    class = "panelattrition_arg_error")
  expect_identical(e$argument, "w")
  e <- expect_error(tipping_point(hi, delta = 1, null = 0.5, w = m),
                    class = "panelattrition_arg_error")
  expect_identical(e$argument, "w")
  # means need nothing but the table, and ignore `w`
  expect_equal(tipping_point(m, delta = 1, null = 55, w = wd)$std_error,
               tipping_point(m, delta = 1, null = 55)$std_error)
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
  e <- expect_error(replicate_weights(w, boot_control(B = 1e7),
                                      storage = "dense"),
                    class = "panelattrition_size_error")
  # 1e7 replicates x the answers in double precision
  expect_equal(e$bytes, 8 * 1e7 * sum(w$panel$response))
  expect_identical(e$argument, "control")
  # compact storage keeps no matrices, but its record of which of 1e7
  # replicates failed (12 bytes each) does not fit either
  e <- expect_error(replicate_weights(w, boot_control(B = 1e7)),
                    class = "panelattrition_size_error")
  expect_gt(e$bytes, 12 * 1e7)
  expect_lt(e$bytes, 8 * 1e7 * sum(w$panel$response) / 100)
  expect_identical(e$argument, "control")
  # and through an estimator
  e <- expect_error(wave_means(w, "y", se = "bootstrap",
                               control = boot_control(B = 1e7)),
                    class = "panelattrition_size_error")
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
