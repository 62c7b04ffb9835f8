// pages/index/index.js: nothing to write for page views, scenes or time on page.
Page({
  data: {},
});
