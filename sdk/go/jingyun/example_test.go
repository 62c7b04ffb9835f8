package jingyun_test

import (
	"log"
	"time"

	"github.com/jingyun/jingyun/sdk/go/jingyun"
)

// Order is what a shop's order service knows about a paid order.
type Order struct {
	ID, MemberID, OpenID, Coupon string
	PaidAt                       time.Time
	TotalFen, DiscountFen        int64
	ShippingFen                  int64
	Items                        []Item
}

// Item is one line of an order.
type Item struct {
	ProductID, SKU, Name, Category string
	PriceFen                       int64
	Quantity                       int
}

// trackPaid sends "Order Completed" when the payment notification arrives. The messageId
// is derived from the order, so a notification delivered twice is stored once.
func trackPaid(jy *jingyun.Client, o Order) error {
	products := make([]map[string]any, 0, len(o.Items))
	var revenue int64
	for _, it := range o.Items {
		revenue += it.PriceFen * int64(it.Quantity)
		products = append(products, map[string]any{
			"product_id": it.ProductID, "sku": it.SKU, "name": it.Name, "category": it.Category,
			"price": jingyun.Amount(it.PriceFen), "quantity": it.Quantity,
		})
	}
	return jy.Track(jingyun.Track{
		UserID:    o.MemberID,
		Event:     "Order Completed",
		MessageID: "order-completed-" + o.ID,
		Timestamp: o.PaidAt,
		Context:   map[string]any{"openid": o.OpenID},
		Properties: map[string]any{
			"order_id":       o.ID,
			"total":          jingyun.Amount(o.TotalFen),
			"revenue":        jingyun.Amount(revenue - o.DiscountFen),
			"shipping":       jingyun.Amount(o.ShippingFen),
			"discount":       jingyun.Amount(o.DiscountFen),
			"coupon":         o.Coupon,
			"currency":       "CNY",
			"payment_method": "wechat_pay",
			"products":       products,
		},
	})
}

func Example() {
	jy, err := jingyun.New(jingyun.Config{
		Endpoint: "https://jy.example.com",
		WriteKey: "wk_your_write_key",
		Context:  map[string]any{"app": map[string]any{"name": "shop-server"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	// Close sends what is still queued before the process exits.
	defer func() {
		if err := jy.Close(); err != nil {
			log.Print(err)
		}
	}()

	order := Order{
		ID: "O20240501001", MemberID: "m10086", OpenID: "oAbC123", PaidAt: time.Now(),
		TotalFen: 11800, DiscountFen: 1000, Coupon: "满100减10",
		Items: []Item{{ProductID: "P10001", SKU: "P10001-500g", Name: "云南小粒咖啡豆", Category: "咖啡", PriceFen: 5900, Quantity: 2}},
	}
	if err := trackPaid(jy, order); err != nil {
		log.Print(err) // ErrQueueFull when the collector has been unreachable for long
	}
	// A refund, later, from the after-sales service.
	jy.Track(jingyun.Track{
		UserID: order.MemberID, Event: "Order Refunded", MessageID: "order-refunded-" + order.ID,
		Properties: map[string]any{"order_id": order.ID, "total": jingyun.Amount(order.TotalFen), "currency": "CNY", "reason": "不想要了"},
	})
}
