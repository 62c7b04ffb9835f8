// app.js: Jingyun comes first. init wraps App, Page and Component, so it must run before
// App() below; every page then tracks its views, time on page and shares by itself.
// utils/jingyun.js is sdk/js/dist/miniprogram/index.js (or require('@jingyun/sdk') after
// "构建 npm"). The collector's domain must be in the request 合法域名 list.
const jingyun = require('./utils/jingyun.js');

const API = 'https://api.example-shop.com';

jingyun.init({
  writeKey: 'wk_your_write_key',
  host: 'https://jy.example-shop.com',
  appName: '鲸云优选',
  // debug: true,          // log every event and answer to the console
  // requireConsent: true, // track nothing until jingyun.optIn(), e.g. after the privacy dialog
});

App({
  globalData: { member: null },

  onLaunch() {
    // wx.login gives a code; the shop's backend exchanges it (code2Session) for the openid
    // and, when the app is bound to an open-platform account, the unionid.
    wx.login({
      success: ({ code }) => {
        wx.request({
          url: API + '/wx/session',
          method: 'POST',
          data: { code },
          success: ({ data }) => {
            jingyun.setOpenid(data.openid, data.unionid);
            if (data.member) this.onMemberLogin(data.member);
          },
        });
      },
    });
  },

  // The login page calls getApp().onMemberLogin(member) once the member has signed in.
  onMemberLogin(member) {
    this.globalData.member = member;
    jingyun.identify(member.id, {
      member_level: member.level,
      city: member.city,
      $set_once: { registered_at: member.registeredAt },
    });
  },

  onMemberLogout() {
    this.globalData.member = null;
    jingyun.reset();
  },
});
