// pages/goods/detail.js: a product page with business events and a share button. The page
// view, time on page and the share itself (Product Shared, with a share id and the sharer
// added to the shared path) are tracked by the SDK.
const jingyun = require('../../utils/jingyun.js');

const API = 'https://api.example-shop.com';

Page({
  data: { product: null },

  onLoad(query) {
    wx.request({
      url: API + '/products/' + query.id,
      success: ({ data }) => {
        this.setData({ product: data });
        jingyun.track('Product Viewed', {
          product_id: data.id,
          sku: data.sku,
          name: data.name,
          category: data.category,
          brand: data.brand,
          price: data.price, // yuan with two decimals, as the backend sends it: 59.90
          currency: 'CNY',
          source: query.source || 'direct',
        });
      },
    });
  },

  addToCart() {
    const p = this.data.product;
    jingyun.track('Product Added', {
      product_id: p.id, sku: p.sku, name: p.name, category: p.category, price: p.price, quantity: 1, currency: 'CNY',
    });
    wx.request({ url: API + '/cart', method: 'POST', data: { sku: p.sku, quantity: 1 } });
  },

  // The share button (<button open-type="share">) and the "..." menu both land here. The
  // `jingyun` object describes the share for analysis; the SDK removes it before WeChat
  // sees the result and adds jy_share / jy_sharer to the path.
  onShareAppMessage() {
    const p = this.data.product;
    return {
      title: p.name + ' 只要 ¥' + p.price,
      path: '/pages/goods/detail?id=' + p.id + '&source=share',
      imageUrl: p.image,
      jingyun: { product_id: p.id, name: p.name, category: p.category, price: p.price },
    };
  },

  onShareTimeline() {
    const p = this.data.product;
    return { title: p.name, query: 'id=' + p.id + '&source=share', jingyun: { product_id: p.id, name: p.name } };
  },
});
