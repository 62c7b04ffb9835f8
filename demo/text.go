package demo

// This file holds the fixed vocabulary of the demo shop: categories and the items they sell,
// cities, phones, scene values, slots, coupons and the fragments reviews are made of. The
// brands are invented; prices are typical for a Chinese social-commerce shop.

// AppName is the name of the demo mini-program, written to context.app.name.
const AppName = "鲸云优选"

type itemDef struct {
	noun   string
	lo, hi int // price range in yuan
	season Season
	group  bool // sold as 拼团 (group buy) too
	maxQty int  // most units bought at once
}

type categoryDef struct {
	name     string
	code     string
	brands   []string
	suffixes []string
	items    []itemDef
	refund   float64 // share of paid orders refunded
	reasons  []string
	good     []string // review aspects, praised
	bad      []string // review aspects, complained about
}

var categoryDefs = []categoryDef{
	{
		name: "服饰", code: "fs",
		brands:   []string{"织语", "棉知道", "素野", "拾衣集", "北纬29°", "暖冬阁", "简屿", "衣柚"},
		suffixes: []string{"", "女款", "男款", "男女同款", "宽松版", "修身版"},
		items: []itemDef{
			{"纯棉圆领T恤", 39, 99, SeasonNone, false, 3}, {"冰丝阔腿裤", 59, 129, SeasonSummer, false, 2},
			{"法式碎花连衣裙", 99, 259, SeasonSummer, false, 1}, {"轻薄防晒衣", 69, 159, SeasonSummer, false, 2},
			{"高腰牛仔裤", 99, 199, SeasonNone, false, 1}, {"连帽卫衣", 89, 199, SeasonNone, false, 2},
			{"针织开衫", 99, 239, SeasonNone, false, 1}, {"双面羊毛大衣", 399, 999, SeasonWinter, false, 1},
			{"白鸭绒羽绒服", 299, 899, SeasonWinter, false, 1}, {"加绒打底裤", 39, 89, SeasonWinter, false, 3},
			{"真丝睡衣套装", 159, 399, SeasonNone, false, 1}, {"商务休闲衬衫", 89, 199, SeasonNone, false, 2},
			{"纯棉袜子5双装", 19, 39, SeasonNone, true, 3}, {"保暖内衣套装", 79, 169, SeasonWinter, false, 2},
			{"羊绒围巾", 99, 299, SeasonWinter, false, 1}, {"帆布托特包", 39, 99, SeasonNone, false, 1},
		},
		refund:  0.12,
		reasons: []string{"尺码不合适", "不喜欢/不想要", "颜色与图片不符", "七天无理由退货", "质量问题"},
		good:    []string{"面料很舒服", "做工精细", "尺码标准", "版型很好看", "颜色和图片一样", "穿上很显瘦", "没有线头"},
		bad:     []string{"洗了一次就起球", "尺码偏小", "线头很多", "色差有点大", "面料偏薄", "有股味道"},
	},
	{
		name: "美妆", code: "mz",
		brands:   []string{"花间集", "瓷肌", "素颜记", "溪木源", "研颜社", "颜究所", "云裳堂"},
		suffixes: []string{"", "套装", "礼盒装", "旅行装"},
		items: []itemDef{
			{"丝绒雾面口红", 69, 189, SeasonNone, false, 2}, {"水润保湿精华液", 129, 399, SeasonNone, false, 1},
			{"玻尿酸补水面膜10片", 49, 129, SeasonNone, true, 3}, {"清爽防晒霜SPF50+", 59, 169, SeasonSummer, false, 2},
			{"持妆粉底液", 119, 299, SeasonNone, false, 1}, {"大地色眼影盘", 89, 219, SeasonNone, false, 1},
			{"温和卸妆水", 39, 99, SeasonNone, false, 2}, {"极细眉笔", 19, 59, SeasonNone, true, 3},
			{"烟酰胺美白精华", 199, 499, SeasonNone, false, 1}, {"修护保湿面霜", 99, 299, SeasonWinter, false, 1},
			{"气垫BB霜", 89, 229, SeasonNone, false, 1}, {"控油定妆散粉", 59, 159, SeasonNone, false, 1},
			{"淡香水", 199, 599, SeasonNone, false, 1}, {"纤长睫毛膏", 39, 99, SeasonNone, false, 2},
		},
		refund:  0.04,
		reasons: []string{"过敏", "不喜欢/不想要", "七天无理由退货", "怀疑非正品"},
		good:    []string{"质地很清爽", "一点都不油腻", "持妆很久", "味道很好闻", "是正品", "上脸很服帖", "颜色很显白"},
		bad:     []string{"用了有点过敏", "有点搓泥", "味道太冲", "颜色不显色", "容量太小了", "包装有破损"},
	},
	{
		name: "食品生鲜", code: "sp",
		brands:   []string{"山野农夫", "鲜到家", "海之味", "老街坊", "果园直发", "谷香坊", "稻花村", "云岭茶园"},
		suffixes: []string{"", "家庭装", "礼盒装", "尝鲜装"},
		items: []itemDef{
			{"赣南脐橙5斤装", 29, 59, SeasonWinter, true, 3}, {"烟台红富士苹果", 29, 69, SeasonNone, true, 3},
			{"海南妃子笑荔枝", 49, 99, SeasonSummer, true, 2}, {"智利车厘子2斤", 99, 259, SeasonSpringFestival, true, 2},
			{"东北五常大米10斤", 49, 99, SeasonNone, true, 2}, {"每日坚果30袋", 79, 159, SeasonNone, true, 2},
			{"广式月饼礼盒", 98, 298, SeasonMidAutumn, false, 3}, {"流心奶黄月饼", 68, 198, SeasonMidAutumn, true, 3},
			{"嘉兴鲜肉粽礼盒", 59, 139, SeasonDragonBoat, false, 3}, {"蜜枣豆沙粽", 29, 69, SeasonDragonBoat, true, 3},
			{"坚果年货礼盒", 99, 299, SeasonSpringFestival, false, 3}, {"手工广式腊肠", 59, 129, SeasonSpringFestival, true, 2},
			{"阳澄湖大闸蟹礼券", 299, 699, SeasonMidAutumn, false, 2}, {"黑猪肉水饺", 29, 59, SeasonNone, true, 3},
			{"云南普洱茶饼", 99, 399, SeasonNone, false, 1}, {"柳州螺蛳粉5包", 29, 49, SeasonNone, true, 3},
			{"原切西冷牛排", 99, 199, SeasonNone, true, 2}, {"厄瓜多尔白虾", 89, 179, SeasonNone, true, 2},
			{"丹东红颜草莓", 49, 99, SeasonWinter, true, 2}, {"网红麻辣辣条", 9, 29, SeasonNone, true, 3},
		},
		refund:  0.05,
		reasons: []string{"商品变质/腐烂", "物流太慢", "少发漏发", "七天无理由退货"},
		good:    []string{"很新鲜", "口感很好", "分量很足", "甜度刚刚好", "包装完好没有破损", "冷链送到还是冰的", "个头很大"},
		bad:     []string{"有几个坏了", "口感一般", "分量不足", "物流太慢了", "个头偏小", "包装漏了"},
	},
	{
		name: "母婴", code: "my",
		brands:   []string{"贝乐宝", "小鹿妈妈", "棉宝宝", "童趣岛", "安芽", "萌小象"},
		suffixes: []string{"", "升级款", "经典款"},
		items: []itemDef{
			{"婴儿纸尿裤L码", 89, 189, SeasonNone, true, 3}, {"成长拉拉裤XL", 99, 199, SeasonNone, true, 3},
			{"婴儿手口湿巾80抽6包", 29, 59, SeasonNone, true, 3}, {"婴儿配方奶粉3段", 199, 399, SeasonNone, false, 2},
			{"宝宝辅食米粉", 49, 99, SeasonNone, false, 2}, {"儿童保温杯", 59, 129, SeasonNone, false, 1},
			{"婴儿纯棉连体衣", 59, 139, SeasonNone, false, 2}, {"儿童羽绒服", 199, 399, SeasonWinter, false, 1},
			{"儿童防晒霜", 49, 99, SeasonSummer, false, 1}, {"轻便婴儿推车", 399, 1299, SeasonNone, false, 1},
			{"益智积木", 69, 199, SeasonNone, false, 1}, {"儿童绘本套装", 59, 149, SeasonNone, true, 1},
			{"电动吸奶器", 199, 499, SeasonNone, false, 1}, {"孕妇护腰枕", 89, 199, SeasonNone, false, 1},
		},
		refund:  0.04,
		reasons: []string{"宝宝用了过敏", "尺码不合适", "不喜欢/不想要", "七天无理由退货"},
		good:    []string{"宝宝很喜欢", "材质安全放心", "很柔软", "吸水性很好", "不红屁屁", "日期很新鲜"},
		bad:     []string{"宝宝用了起红疹", "有点偏小", "味道有点大", "做工粗糙"},
	},
	{
		name: "数码", code: "sm",
		brands:   []string{"声悦", "极客派", "米粒科技", "光年", "闪充侠", "云端智能"},
		suffixes: []string{"", "标准版", "Pro版"},
		items: []itemDef{
			{"真无线蓝牙耳机", 99, 399, SeasonNone, false, 1}, {"主动降噪头戴耳机", 299, 999, SeasonNone, false, 1},
			{"20000mAh充电宝", 79, 199, SeasonNone, false, 1}, {"65W氮化镓快充头", 59, 149, SeasonNone, true, 2},
			{"智能运动手环", 149, 299, SeasonNone, false, 1}, {"智能手表", 499, 1499, SeasonNone, false, 1},
			{"便携蓝牙音箱", 99, 299, SeasonNone, false, 1}, {"机械键盘", 199, 499, SeasonNone, false, 1},
			{"静音无线鼠标", 49, 149, SeasonNone, false, 1}, {"磨砂手机壳", 19, 59, SeasonNone, true, 2},
			{"钢化膜2片装", 15, 39, SeasonNone, true, 2}, {"三合一数据线", 19, 49, SeasonNone, true, 2},
			{"USB桌面小风扇", 29, 69, SeasonSummer, true, 2},
		},
		refund:  0.06,
		reasons: []string{"质量问题", "无法连接", "七天无理由退货", "与描述不符"},
		good:    []string{"续航很给力", "音质很清晰", "连接很稳定", "充电很快", "做工扎实", "手感很好"},
		bad:     []string{"经常断连", "续航缩水", "有杂音", "发热严重", "做工一般"},
	},
	{
		name: "家居", code: "jj",
		brands:   []string{"木语", "栖居", "拾光家", "暖巢", "素舍", "简物"},
		suffixes: []string{"", "升级款", "经典款"},
		items: []itemDef{
			{"纯棉床品四件套", 199, 499, SeasonNone, false, 1}, {"泰国乳胶枕", 99, 299, SeasonNone, true, 2},
			{"冰丝凉席三件套", 129, 299, SeasonSummer, true, 1}, {"桑蚕丝被", 399, 999, SeasonWinter, false, 1},
			{"折叠收纳箱3个装", 49, 129, SeasonNone, true, 2}, {"懒人沙发", 199, 599, SeasonNone, false, 1},
			{"香薰蜡烛", 39, 99, SeasonNone, false, 2}, {"双人电热毯", 99, 199, SeasonWinter, false, 1},
			{"静音加湿器", 99, 249, SeasonWinter, false, 1}, {"无油空气炸锅", 199, 499, SeasonNone, false, 1},
			{"智能电饭煲", 199, 599, SeasonNone, false, 1}, {"陶瓷餐具套装", 99, 299, SeasonNone, false, 1},
			{"居家防滑拖鞋", 19, 59, SeasonNone, true, 3}, {"植物驱蚊液", 19, 49, SeasonSummer, true, 3},
			{"春联福字套装", 19, 59, SeasonSpringFestival, true, 2},
		},
		refund:  0.05,
		reasons: []string{"运输破损", "质量问题", "尺寸不合适", "七天无理由退货"},
		good:    []string{"质量很好", "收纳很方便", "安装很简单", "颜值很高", "用料很足", "很好清洗"},
		bad:     []string{"运输途中摔坏了", "有点异味", "比想象中小", "做工粗糙", "噪音有点大"},
	},
	{
		name: "个护", code: "gh",
		brands:   []string{"净颜", "清屿", "沐光", "朵拉", "柔丝", "舒齿"},
		suffixes: []string{"", "升级款", "经典款"},
		items: []itemDef{
			{"氨基酸洗发水", 49, 129, SeasonNone, true, 2}, {"修护护发素", 39, 99, SeasonNone, false, 2},
			{"香氛沐浴露", 39, 99, SeasonNone, true, 2}, {"声波电动牙刷", 99, 399, SeasonNone, false, 1},
			{"美白牙膏3支装", 29, 69, SeasonNone, true, 3}, {"清新漱口水", 29, 59, SeasonNone, false, 2},
			{"纯棉卫生巾组合装", 39, 89, SeasonNone, true, 3}, {"烟酰胺身体乳", 49, 129, SeasonWinter, false, 2},
			{"止汗露", 39, 79, SeasonSummer, false, 2}, {"电动剃须刀", 99, 399, SeasonNone, false, 1},
			{"负离子吹风机", 149, 499, SeasonNone, false, 1}, {"洗衣凝珠", 39, 89, SeasonNone, true, 3},
			{"原木抽纸24包", 39, 69, SeasonNone, true, 3}, {"暖宝宝贴30片", 19, 39, SeasonWinter, true, 3},
		},
		refund:  0.03,
		reasons: []string{"过敏", "漏液", "七天无理由退货", "质量问题"},
		good:    []string{"泡沫很丰富", "洗完很清爽", "香味淡淡的很好闻", "一点都不刺激", "性价比很高", "囤货很划算"},
		bad:     []string{"洗完头皮痒", "香味太浓", "快递漏液了", "效果一般"},
	},
	{
		name: "运动户外", code: "yd",
		brands:   []string{"跃动", "山行者", "轻野", "迅驰", "野趣"},
		suffixes: []string{"", "男款", "女款"},
		items: []itemDef{
			{"加厚瑜伽垫", 49, 159, SeasonNone, true, 1}, {"缓震跑步鞋", 199, 599, SeasonNone, false, 1},
			{"速干运动T恤", 59, 129, SeasonSummer, false, 2}, {"三合一冲锋衣", 299, 799, SeasonWinter, false, 1},
			{"轻量登山包", 149, 399, SeasonNone, false, 1}, {"自动速开露营帐篷", 299, 899, SeasonNone, false, 1},
			{"计数跳绳", 19, 59, SeasonNone, true, 2}, {"连体泳衣", 99, 259, SeasonSummer, false, 1},
			{"健身弹力带", 29, 69, SeasonNone, true, 2}, {"骑行头盔", 99, 299, SeasonNone, false, 1},
			{"触屏保暖手套", 39, 99, SeasonWinter, false, 2},
		},
		refund:  0.08,
		reasons: []string{"尺码不合适", "质量问题", "七天无理由退货", "不喜欢/不想要"},
		good:    []string{"很轻便", "透气性很好", "抓地力很强", "做工扎实", "穿着很舒服"},
		bad:     []string{"鞋码偏小", "开胶了", "不太透气", "做工粗糙"},
	},
}

// Review text is put together from fragments chosen by rating.
var (
	reviewOpeners   = []string{"非常满意", "超出预期", "第二次回购了", "物流很快，隔天就到了", "包装很用心", "朋友推荐来买的", "拼团买的很划算", "好评"}
	reviewClosings  = []string{"会回购的", "推荐购买", "值得入手", "下次还来", "已经推荐给朋友了", "五星好评"}
	reviewMinor     = []string{"物流稍微慢了一点", "包装有点简陋", "价格再便宜点就好了", "客服回复有点慢", "赠品没有收到"}
	reviewNeutral   = []string{"一般般", "中规中矩", "还可以吧", "和预期差不多", "凑合能用"}
	reviewNegatives = []string{"不会再买了", "很失望", "已经申请退货了", "客服也不处理", "大家慎买"}
)

type city struct {
	name, province string
	w              float64
}

var cities = []city{
	{"上海", "上海", 6}, {"北京", "北京", 5}, {"广州", "广东", 5}, {"深圳", "广东", 5}, {"杭州", "浙江", 4},
	{"成都", "四川", 4}, {"重庆", "重庆", 3.5}, {"武汉", "湖北", 3}, {"南京", "江苏", 3}, {"西安", "陕西", 2.5},
	{"苏州", "江苏", 2.5}, {"长沙", "湖南", 2.5}, {"郑州", "河南", 2.5}, {"天津", "天津", 2}, {"东莞", "广东", 2},
	{"青岛", "山东", 2}, {"宁波", "浙江", 2}, {"合肥", "安徽", 1.8}, {"佛山", "广东", 1.8}, {"沈阳", "辽宁", 1.5},
	{"昆明", "云南", 1.5}, {"福州", "福建", 1.5}, {"济南", "山东", 1.5}, {"厦门", "福建", 1.3}, {"无锡", "江苏", 1.3},
	{"温州", "浙江", 1.3}, {"南昌", "江西", 1.2}, {"南宁", "广西", 1.2}, {"石家庄", "河北", 1.2}, {"哈尔滨", "黑龙江", 1.1},
	{"长春", "吉林", 1}, {"大连", "辽宁", 1}, {"贵阳", "贵州", 1}, {"太原", "山西", 0.9}, {"金华", "浙江", 0.9},
	{"泉州", "福建", 0.9}, {"惠州", "广东", 0.8}, {"徐州", "江苏", 0.8}, {"洛阳", "河南", 0.7}, {"赣州", "江西", 0.7},
	{"临沂", "山东", 0.7}, {"绵阳", "四川", 0.5}, {"桂林", "广西", 0.5}, {"乌鲁木齐", "新疆", 0.5}, {"兰州", "甘肃", 0.5},
	{"海口", "海南", 0.5}, {"呼和浩特", "内蒙古", 0.4}, {"银川", "宁夏", 0.3}, {"西宁", "青海", 0.3}, {"拉萨", "西藏", 0.1},
}

var (
	ageRanges    = []string{"18以下", "18-24", "25-29", "30-34", "35-39", "40-49", "50以上"}
	ageWeights   = []float64{2, 20, 24, 22, 14, 12, 6}
	memberLevels = []string{"普通会员", "银卡会员", "金卡会员", "黑钻会员"}
	// levelOrders is the number of paid orders that reaches each member level.
	levelOrders = []int{0, 2, 5, 10}
)

type phone struct {
	os, brand, model string
	versions         []string
	w                float64
}

var phones = []phone{
	{"iOS", "Apple", "iPhone 16 Pro", []string{"18.1", "18.3.1"}, 3},
	{"iOS", "Apple", "iPhone 15 Pro", []string{"17.5.1", "18.1"}, 5},
	{"iOS", "Apple", "iPhone 15", []string{"17.6", "18.1"}, 6},
	{"iOS", "Apple", "iPhone 14", []string{"16.7.8", "17.5.1"}, 6},
	{"iOS", "Apple", "iPhone 13", []string{"16.7.8", "17.6"}, 6},
	{"iOS", "Apple", "iPhone 12", []string{"16.6", "17.5.1"}, 3},
	{"iOS", "Apple", "iPhone 11", []string{"15.8", "16.7.8"}, 2},
	{"HarmonyOS", "HUAWEI", "Mate 60 Pro", []string{"4.2.0", "4.0.0"}, 6},
	{"HarmonyOS", "HUAWEI", "nova 12", []string{"4.0.0"}, 4},
	{"HarmonyOS", "HUAWEI", "P60", []string{"4.0.0", "3.1.0"}, 3},
	{"Android", "Xiaomi", "Xiaomi 14", []string{"14"}, 5},
	{"Android", "Xiaomi", "Redmi K70", []string{"14"}, 4},
	{"Android", "Xiaomi", "Redmi Note 13", []string{"13", "14"}, 5},
	{"Android", "OPPO", "Reno11", []string{"14"}, 5},
	{"Android", "OPPO", "A2", []string{"13"}, 3},
	{"Android", "vivo", "X100", []string{"14"}, 4},
	{"Android", "vivo", "S18", []string{"14"}, 4},
	{"Android", "vivo", "iQOO 12", []string{"14"}, 2},
	{"Android", "HONOR", "Magic6", []string{"14"}, 3},
	{"Android", "HONOR", "X50", []string{"13"}, 4},
	{"Android", "OnePlus", "Ace 3", []string{"14"}, 2},
}

// scene is a WeChat mini-program scene value (场景值) with its official meaning.
type scene struct {
	code    int
	name    string
	acquire float64 // weight as the first entry of an organically acquired person
	revisit float64 // weight as the entry of a returning visit
}

var scenes = []scene{
	{1001, "发现栏小程序主入口「最近使用」列表", 6, 12},
	{1005, "微信首页顶部搜索框的搜索结果页", 7, 5},
	{1006, "发现栏小程序主入口搜索框的搜索结果页", 3, 2},
	{1007, "单人聊天会话中的小程序消息卡片", 5, 4},
	{1008, "群聊会话中的小程序消息卡片", 5, 3},
	{1011, "扫描二维码", 4, 1},
	{1012, "长按图片识别二维码", 2, 0},
	{1014, "小程序订阅消息", 0, 4},
	{1022, "聊天顶部置顶小程序入口", 0, 2},
	{1023, "安卓系统桌面图标", 0, 1},
	{1035, "公众号自定义菜单", 3, 3},
	{1037, "小程序打开小程序", 3, 0},
	{1038, "从另一个小程序返回", 0, 2},
	{1043, "公众号模板消息", 1, 3},
	{1045, "朋友圈广告", 8, 2},
	{1046, "朋友圈广告详情页", 3, 0},
	{1047, "扫描小程序码", 6, 0},
	{1048, "长按图片识别小程序码", 3, 0},
	{1053, "搜一搜的结果页", 3, 0},
	{1058, "公众号文章", 4, 2},
	{1065, "URL scheme", 3, 0},
	{1084, "朋友圈广告原生页", 2, 0},
	{1089, "微信聊天主界面下拉「最近使用」栏", 2, 30},
	{1095, "小程序广告组件", 2, 0},
	{1103, "发现栏小程序主入口「我的小程序」列表", 0, 3},
	{1104, "微信聊天主界面下拉「我的小程序」栏", 0, 6},
	{1107, "订阅消息打开小程序", 0, 4},
	{1131, "浮窗", 0, 2},
	{1175, "视频号主页商店入口", 2, 0},
	{1176, "视频号直播间主播打开小程序", 4, 3},
	{1177, "视频号直播间商品", 5, 4},
	{1184, "视频号链接打开小程序", 2, 0},
	{1194, "URL Link", 2, 0},
}

// SceneName returns the official meaning of a WeChat scene value used by the demo, or ""
// for a scene the demo does not produce.
func SceneName(code int) string {
	for _, s := range scenes {
		if s.code == code {
			return s.name
		}
	}
	return ""
}

// sceneCampaign returns the context.campaign source and medium of ad, official-account
// and SMS-link scenes, or "" for other scenes.
func sceneCampaign(code int) (source, medium string) {
	switch code {
	case 1045, 1046, 1084:
		return "weixin_moments", "cpm"
	case 1095:
		return "mp_ad_component", "cpc"
	case 1035, 1043, 1058:
		return "official_account", "owned"
	case 1065, 1194:
		return "sms", "link"
	}
	return "", ""
}

// Share channels and the scene the recipient opens the card with.
type shareChannel struct {
	name  string
	scene int
	w     float64
	opens float64 // mean number of new persons one share brings in
}

var shareChannels = []shareChannel{
	{"wechat_friend", 1007, 55, 0.55},
	{"wechat_group", 1008, 30, 1.1},
	{"poster", 1048, 15, 0.35},
}

type couponDef struct {
	id, name  string
	threshold Money
	amount    Money
	days      int // valid for
}

var couponDefs = []couponDef{
	{"new_user_10", "新人无门槛10元券", 0, Yuan(10, 0), 7},
	{"mj_49_5", "满49减5", Yuan(49, 0), Yuan(5, 0), 14},
	{"mj_99_10", "满99减10", Yuan(99, 0), Yuan(10, 0), 14},
	{"mj_199_30", "满199减30", Yuan(199, 0), Yuan(30, 0), 14},
	{"mj_299_50", "满299减50", Yuan(299, 0), Yuan(50, 0), 7},
	{"live_39_8", "直播间专享满39减8", Yuan(39, 0), Yuan(8, 0), 3},
}

const (
	couponNewUser = 0
	couponLive    = 5
)

// campaignDef is a banner campaign on the home carousel; it runs on the days active says.
type campaignDef struct {
	id, name string
	season   Season // products it lists; SeasonNone lists popular goods
	active   func(d *day) bool
}

var campaignDefs = []campaignDef{
	{"double11", "双11狂欢节", SeasonNone, func(d *day) bool { md := d.month*100 + d.mday; return md >= 1020 && md <= 1111 }},
	{"double12", "双12年终盛典", SeasonNone, func(d *day) bool { md := d.month*100 + d.mday; return md >= 1201 && md <= 1212 }},
	{"nianhuo", "年货节", SeasonSpringFestival, func(d *day) bool { return d.toFestival[0] >= 5 && d.toFestival[0] <= 30 }},
	{"mid618", "618年中大促", SeasonNone, func(d *day) bool { md := d.month*100 + d.mday; return md >= 531 && md <= 618 }},
	{"mooncake", "中秋礼盒专场", SeasonMidAutumn, func(d *day) bool { return d.toFestival[2] >= 0 && d.toFestival[2] <= 28 }},
	{"zongzi", "端午粽香节", SeasonDragonBoat, func(d *day) bool { return d.toFestival[1] >= 0 && d.toFestival[1] <= 21 }},
	{"summer", "夏日清凉节", SeasonSummer, func(d *day) bool { return d.month >= 6 && d.month <= 8 }},
	{"warm", "冬季暖心季", SeasonWinter, func(d *day) bool { return d.month >= 11 || d.month <= 2 }},
	{"goddess", "三八女神节", SeasonNone, func(d *day) bool { return d.month == 3 && d.mday <= 8 }},
	{"newuser", "新人专享礼包", SeasonNone, func(*day) bool { return true }},
	{"flash", "限时秒杀", SeasonNone, func(*day) bool { return true }},
	{"pintuan", "拼团特惠", SeasonNone, func(*day) bool { return true }},
	{"fresh", "生鲜次日达", SeasonNone, func(*day) bool { return true }},
	{"memberday", "会员日", SeasonNone, func(*day) bool { return true }},
}

// Navigation tiles below the carousel, in screen order.
var navTiles = []string{"新人专区", "限时秒杀", "拼团", "领券中心", "美妆个护", "生鲜水果", "母婴专区", "会员中心"}

var (
	hotQueries  = []string{"新人礼包", "9.9包邮", "秒杀", "拼团", "爆款", "网红零食", "清仓特价", "礼盒", "送女朋友", "送长辈"}
	liveAnchors = []string{"店长阿杰", "小鹿主播", "美妆达人Coco", "生鲜姐姐", "宝妈小雨", "数码老王", "店长阿杰"} // by weekday
	liveThemes  = []string{"周日宠粉专场", "周一上新", "美妆护肤课堂", "产地直播", "母婴好物", "数码开箱", "周六福利夜"}
)
