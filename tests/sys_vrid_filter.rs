//! The VRID socket filter and the batched receive between two real network namespaces:
//! an advert for a VRID the socket does not run never reaches user space, ours do, and
//! adverts that arrived together come back in one batch. Needs root; panics (never
//! skips) without it.

mod sys_support;

use std::future::poll_fn;
use std::time::Duration;

use keepalived_rs::sys::vrrp_socket::VRRP_GROUP_V4;
use keepalived_rs::sys::vrrp_socket6::VRRP_GROUP_V6;
use keepalived_rs::sys::{
    Addressing4, Addressing6, InterfaceId, RecvBatch, Vrrp4Receiver, Vrrp4Sender, Vrrp6Receiver,
    Vrrp6Sender, VrrpProtocol,
};
use sys_support::{first_ipv4_packet, first_ipv6_frame, runtime, VethPair};

const WAIT: Duration = Duration::from_secs(5);

fn iface(name: &str) -> InterfaceId {
    InterfaceId::by_name(name).unwrap()
}

/// `packet` with the VRID at `at` set to `vrid`.
fn with_vrid(packet: &[u8], at: usize, vrid: u8) -> Vec<u8> {
    let mut p = packet.to_vec();
    p[at] = vrid;
    p
}

/// The VRIDs of the next batch, read at `at` in each packet.
async fn next_batch_vrids(
    batch: &mut RecvBatch,
    poll: impl Fn(
        &mut std::task::Context<'_>,
        &mut RecvBatch,
    ) -> std::task::Poll<Result<usize, keepalived_rs::sys::SocketError>>,
    at: usize,
) -> Vec<u8> {
    tokio::time::timeout(WAIT, poll_fn(|cx| poll(cx, batch)))
        .await
        .expect("a batch arrives")
        .unwrap();
    batch.iter().map(|(bytes, _)| bytes[at]).collect()
}

#[test]
fn ipv4_foreign_vrids_stay_in_the_kernel_and_ours_arrive_in_one_batch() {
    let pair = VethPair::create(None);
    let vrrp = first_ipv4_packet("ka227-v2-pass.pcap", 112);
    let ah = first_ipv4_packet("ka227-v2-ah.pcap", 51);
    // VRID: IPv4 header (20) + 1; with AH, + the 24-byte AH header.
    let (vrid_at, ah_vrid_at) = (21, 45);
    let ours = vrrp[vrid_at];
    let foreign = ours.wrapping_add(1);
    runtime().block_on(async {
        pair.b.enter();
        let vb = iface("vb");
        let multicast = Addressing4::Multicast {
            group: VRRP_GROUP_V4,
        };
        let rx = Vrrp4Receiver::open(&vb, VrrpProtocol::Vrrp, multicast).unwrap();
        rx.set_vrid_filter(&[ours]).unwrap();
        let ah_rx = Vrrp4Receiver::open(&vb, VrrpProtocol::Ah, multicast).unwrap();
        ah_rx.set_vrid_filter(&[ah[ah_vrid_at]]).unwrap();
        pair.a.enter();
        let sender = Vrrp4Sender::open(&iface("va")).unwrap();

        let burst = [
            with_vrid(&vrrp, vrid_at, foreign),
            vrrp.clone(),
            with_vrid(&vrrp, vrid_at, foreign),
            vrrp.clone(),
        ];
        let (sent, error) = sender.send_many(&burst, VRRP_GROUP_V4).await;
        assert!(
            error.is_none() && sent == 4,
            "sendmmsg sent {sent}: {error:?}"
        );
        // Let all four arrive, so the batch shows what the filter let through.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut batch = RecvBatch::default();
        let got = next_batch_vrids(&mut batch, |cx, b| rx.poll_recv_batch(cx, b), vrid_at).await;
        assert_eq!(got, vec![ours, ours], "only our VRID, both in one batch");

        sender
            .send(&with_vrid(&ah, ah_vrid_at, 200), VRRP_GROUP_V4)
            .await
            .unwrap();
        sender.send(&ah, VRRP_GROUP_V4).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let got =
            next_batch_vrids(&mut batch, |cx, b| ah_rx.poll_recv_batch(cx, b), ah_vrid_at).await;
        assert_eq!(
            got,
            vec![ah[ah_vrid_at]],
            "AH: the VRID after the AH header"
        );
    });
}

#[test]
fn ipv6_foreign_vrids_stay_in_the_kernel() {
    // va's MAC as on the capture's host, so its link-local address is the advert's source.
    let pair = VethPair::create(Some("aa:44:c7:bb:0c:a8"));
    let frame = first_ipv6_frame("ka227-v3-ipv6.pcap", 112, None);
    let source = std::net::Ipv6Addr::from(<[u8; 16]>::try_from(&frame[22..38]).unwrap());
    let mut payload = frame[54..].to_vec();
    payload[6] = 0;
    payload[7] = 0;
    let ours = payload[1];
    runtime().block_on(async {
        pair.b.enter();
        let group = Addressing6::Multicast {
            group: VRRP_GROUP_V6,
        };
        let rx = Vrrp6Receiver::open(&iface("vb"), group).unwrap();
        rx.set_vrid_filter(&[ours]).unwrap();
        pair.a.enter();
        let sender = Vrrp6Sender::open(&iface("va"), 255).unwrap();
        let foreign = with_vrid(&payload, 1, ours.wrapping_add(7));
        sender
            .send(&foreign, Some(source), VRRP_GROUP_V6)
            .await
            .unwrap();
        sender
            .send(&payload, Some(source), VRRP_GROUP_V6)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut batch = RecvBatch::default();
        let got = next_batch_vrids(&mut batch, |cx, b| rx.poll_recv_batch(cx, b), 1).await;
        assert_eq!(got, vec![ours]);
        let (_, entry) = batch.iter().next().unwrap();
        let (_, destination, hop_limit) = entry.ipv6.expect("IPv6 metadata");
        assert_eq!((destination, hop_limit), (VRRP_GROUP_V6, 255));
    });
}
